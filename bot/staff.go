package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
	"reentrybot/textfold"
)

// InvitePrefix starts the /start payload of a staff invitation link
// (redeemed by bot/casework; the codes are made here, for the server's
// staff command, the staff import, the web desk and the demo too).
const InvitePrefix = "s_"

// The counsellor desk's commands in a staff member's private chat (routes.go),
// refused to anyone else exactly like unknown commands, and its invites.
// /queue, /mine, the returnees' rating buttons ("k:") and the
// redemption of invitation links are bot/casework's.
func init() {
	desk := func(fn staffFn, menu ...store.Role) command {
		return command{feature: "desk", staffOnly: true, staff: fn, menu: menu, core: true}
	}
	caseWork := []store.Role{store.RoleCounsellor, store.RoleAdmin}
	routes.command("case", desk(openCaseCmd, caseWork...))
	routes.command("take", desk(openCaseCmd, caseWork...))
	routes.command("done", desk(doneCmd, caseWork...))
	routes.command("close", desk(closeCmd, caseWork...))
	note := desk(noteCmd)
	note.group = true // written in a case's topic
	routes.command("note", note)
	routes.command("setup", desk(setupCmd))
}

// NewInviteCode returns a fresh one-time code and the hash stored for it.
func NewInviteCode() (code string, hash []byte) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	code = base64.RawURLEncoding.EncodeToString(b)
	return code, HashInviteCode(code)
}

// HashInviteCode is how codes are stored.
func HashInviteCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

// InviteLink is the deep link that redeems code with the bot.
func InviteLink(botUsername, code string) string {
	return "https://t.me/" + botUsername + "?start=" + InvitePrefix + code
}

// staffHelp is the help text of the staff member's role.
func staffHelp(s store.Staff) string {
	switch s.Role {
	case store.RoleOfficer:
		return "staff_help_officer"
	case store.RoleAdmin:
		return "staff_help_admin"
	}
	return "staff_help"
}

// staffLang is the language of staff-facing texts in a private chat.
func staffLang(u models.User) string { return i18n.Normalize(u.LanguageCode) }

// groupLang is the language of the shared staff group.
const groupLang = i18n.Default

// effects are what a handler does after its transaction commits.
type effects struct{ fns []func() }

func (e *effects) add(f func()) { e.fns = append(e.fns, f) }
func (e *effects) run() {
	for _, f := range e.fns {
		f()
	}
}

// inUpdateTx runs fn in the transaction that records upd as handled. dup
// is true when it was handled before (fn does not run). fx (may be nil)
// starts empty on each attempt: a retried transaction must not keep the
// effects of the one that rolled back.
func (b *Bot) inUpdateTx(ctx context.Context, upd *models.Update, fx *effects, fn func(tx *store.Tx) error) (dup bool, err error) {
	err = b.db.InTx(ctx, func(tx *store.Tx) error {
		dup = false
		if fx != nil {
			fx.fns = nil
		}
		first, err := tx.MarkUpdateSeen(ctx, upd.ID, telegram.ChatKey(upd))
		if err != nil {
			return err
		}
		if !first {
			dup = true
			return nil
		}
		return fn(tx)
	})
	return dup, err
}

// reply queues a message to a private chat after commit.
func (b *Bot) replyAfter(fx *effects, chatID int64, text string, markup models.ReplyMarkup) {
	fx.add(func() {
		b.outbox.submit(b.sendCtx, chatID, func(ctx context.Context) error {
			_ = b.sendText(b.sendCtx, chatID, text, markup)
			return nil
		})
	})
}

// groupReply queues a message into the staff group (a topic when thread
// is not 0) after commit.
func (b *Bot) groupReplyAfter(fx *effects, chatID int64, thread int, text string, markup models.ReplyMarkup) {
	fx.add(func() {
		b.outbox.submit(b.sendCtx, chatID, func(ctx context.Context) error {
			_ = b.sendGroup(b.sendCtx, chatID, thread, text, markup)
			return nil
		})
	})
}

func (b *Bot) sendGroup(ctx context.Context, chatID int64, thread int, text string, markup models.ReplyMarkup) error {
	_, err := b.sendGroupMsg(ctx, chatID, thread, text, markup)
	return err
}

func (b *Bot) sendGroupMsg(ctx context.Context, chatID int64, thread int, text string, markup models.ReplyMarkup) (int, error) {
	var id int
	err := b.send.Do(ctx, telegram.Target{ChatID: chatID, Group: true}, "sendMessage", func(ctx context.Context) error {
		m, err := b.api.SendMessage(ctx, &tg.SendMessageParams{
			ChatID: chatID, MessageThreadID: thread, Text: text, ParseMode: models.ParseModeHTML,
			ReplyMarkup: telegram.WireMarkup(markup), LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()},
		})
		if err == nil {
			id = m.ID
		}
		return err
	})
	if err != nil {
		b.log.Error("sending to staff group", "chat", chatID, "thread", thread, "err", err)
	}
	return id, err
}

// refuseStaffCommand answers a non-staff user's staff command exactly like
// an unknown command, and logs the attempt.
func (b *Bot) refuseStaffCommand(ctx context.Context, upd *models.Update, from models.User, cmd string) error {
	fx := &effects{}
	dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
		b.log.Warn("staff command from non-staff", "user", from.ID, "command", cmd)
		if err := tx.Audit(ctx, 0, from.ID, "denied_command", 0, cmd); err != nil {
			return err
		}
		b.replyAfter(fx, from.ID, b.cat.T(i18n.Normalize(from.LanguageCode), "unknown_command", nil), nil)
		return nil
	})
	if err != nil || dup {
		return err
	}
	fx.run()
	b.Metrics.Updates.WithLabelValues("command", "refused").Inc()
	return nil
}

// handleStaffPrivate handles what a staff member does in a private chat.
func (b *Bot) handleStaffPrivate(ctx context.Context, upd *models.Update, s store.Staff, from models.User, in flows.Input, cq *models.CallbackQuery) error {
	fx := &effects{}
	toast := ""
	dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
		// Features first (bot/announcements: the composer's inputs, its buttons).
		if ok, t, err := routes.staffInput(b, ctx, tx, fx, s, from, upd.Message, in, cq); ok {
			toast = t
			return err
		}
		if cq != nil {
			var err error
			toast, err = b.caseCallback(ctx, tx, fx, s, from, cq)
			return err
		}
		if in.Kind == flows.InCommand {
			return routes.staffCommand(b, ctx, tx, fx, s, from, upd.Message, in) // routes.go
		}
		if upd.Message == nil {
			return nil
		}
		text := in.Text
		note := strings.HasPrefix(text, "!")
		return b.privateCaseMessage(ctx, tx, fx, s, from, upd.Message, strings.TrimPrefix(text, "!"), note)
	})
	if err != nil {
		return err
	}
	if cq != nil {
		b.answerCallbackText(ctx, cq.ID, toast)
	}
	if dup {
		return nil
	}
	fx.run()
	b.Metrics.Updates.WithLabelValues(telegram.Kind(upd), "handled").Inc()
	return nil
}

// staffSay answers a staff member in their private chat, after commit.
func (b *Bot) staffSay(fx *effects, from models.User, key string, p map[string]any) {
	b.replyAfter(fx, from.ID, b.cat.T(staffLang(from), key, p), nil)
}

// The desk's commands in a staff member's private chat (registered above).

func staffHelpCmd(b *Bot, _ context.Context, _ *store.Tx, fx *effects, s store.Staff, from models.User, _ *models.Message, _ flows.Input) error {
	b.staffSay(fx, from, staffHelp(s), nil)
	return nil
}

func openCaseCmd(b *Bot, ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, _ *models.Message, in flows.Input) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(in.Arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		b.staffSay(fx, from, "take_usage", nil)
		return nil
	}
	return b.staffOpenCase(ctx, tx, fx, s, from, id, in.Command == "take")
}

func doneCmd(b *Bot, ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, _ *models.Message, _ flows.Input) error {
	if err := tx.SetPrivateCase(ctx, s.ID, 0); err != nil {
		return err
	}
	b.staffSay(fx, from, "done_private", nil)
	return nil
}

func closeCmd(b *Bot, ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, _ *models.Message, in flows.Input) error {
	lang := staffLang(from)
	id := s.PrivateCaseID.Int64
	if in.Arg != "" {
		id, _ = strconv.ParseInt(strings.TrimPrefix(in.Arg, "#"), 10, 64)
	}
	c, ok, err := b.caseInScope(ctx, tx, s, from, id, "close")
	if err != nil || !ok {
		if ok2 := err == nil; ok2 {
			b.staffSay(fx, from, "case_not_found", map[string]any{"ID": id})
		}
		return err
	}
	b.replyAfter(fx, from.ID, b.cat.T(lang, "choose_outcome", map[string]any{"ID": c.ID}), b.outcomeKeyboard(lang, c.ID))
	return nil
}

func noteCmd(b *Bot, ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, m *models.Message, in flows.Input) error {
	return b.privateCaseMessage(ctx, tx, fx, s, from, m, in.Arg, true)
}

func setupCmd(b *Bot, _ context.Context, _ *store.Tx, fx *effects, _ store.Staff, from models.User, _ *models.Message, _ flows.Input) error {
	b.staffSay(fx, from, "setup_in_group", nil)
	return nil
}

func (b *Bot) answerCallbackText(ctx context.Context, id, text string) {
	if _, err := b.api.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text}); err != nil {
		b.log.Warn("answerCallbackQuery", "err", err)
	}
}

// caseInScope reads a case the staff member may work on, logging access
// refused. ok is false (with a nil error) when it is not there or not theirs.
func (b *Bot) caseInScope(ctx context.Context, tx *store.Tx, s store.Staff, from models.User, id int64, action string) (store.Case, bool, error) {
	if id <= 0 {
		return store.Case{}, false, nil
	}
	c, err := tx.Case(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	if !s.HandlesCases() || !s.InScope(c.CommuneCode.String) {
		b.log.Warn("case out of scope", "staff", s.ID, "case", id, "action", action)
		return c, false, tx.Audit(ctx, s.ID, from.ID, "denied_"+action, id, "out of scope")
	}
	return c, true, nil
}

// staffOpenCase shows a case card in the private chat; with take, the
// counsellor also takes the case and answers it from here until /done.
func (b *Bot) staffOpenCase(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, id int64, take bool) error {
	lang := staffLang(from)
	c, ok, err := b.caseInScope(ctx, tx, s, from, id, "view")
	if err != nil {
		return err
	}
	if !ok {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "case_not_found", map[string]any{"ID": id}), nil)
		return nil
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "view", c.ID, "private"); err != nil {
		return err
	}
	card, err := b.caseCard(ctx, tx, lang, c)
	if err != nil {
		return err
	}
	if !take {
		b.caseReplyAfter(fx, c.ID, from.ID, card) // scope.go: an erasure deletes it
		return nil
	}
	if !c.Open() {
		b.caseReplyAfter(fx, c.ID, from.ID, card+"\n\n"+b.cat.T(lang, "case_is_closed", map[string]any{"ID": c.ID}))
		return nil
	}
	if err := b.assign(ctx, tx, fx, s, from, c); err != nil {
		return err
	}
	if err := tx.SetPrivateCase(ctx, s.ID, c.ID); err != nil {
		return err
	}
	b.caseReplyAfter(fx, c.ID, from.ID, card+"\n\n"+b.cat.T(lang, "taken_private", map[string]any{"ID": c.ID, "Name": escape(s.DisplayName)}))
	// Messages the returnee wrote before anyone took the case, when there
	// is no topic, come here now.
	fx.add(func() { b.kickRelay(c.ID, relayTopic) })
	return nil
}

// assign gives the case to the staff member (no-op when already theirs).
func (b *Bot) assign(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, c store.Case) error {
	if c.AssigneeStaffID.Int64 == s.ID && c.Status != store.CaseNew {
		return nil
	}
	st := c.Status
	if st == store.CaseNew {
		st = store.CaseAssigned
	}
	if err := tx.SetCaseStatus(ctx, c.ID, st, s.ID); err != nil {
		return err
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "take", c.ID, ""); err != nil {
		return err
	}
	if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: s.ID, Kind: "assigned"}); err != nil {
		return err
	}
	if c.TopicThreadID.Valid {
		b.groupReplyAfter(fx, c.TopicChatID.Int64, int(c.TopicThreadID.Int64),
			b.cat.T(groupLang, "topic_taken", map[string]any{"Name": escape(s.DisplayName)}), nil)
		c.Status, c.AssigneeName = st, sql.NullString{String: s.DisplayName, Valid: true}
		return b.refreshCard(ctx, tx, fx, c)
	}
	return nil
}

// refreshCard edits the case card in the topic to the case's status: who
// took it, or closed without buttons.
func (b *Bot) refreshCard(ctx context.Context, tx *store.Tx, fx *effects, c store.Case) error {
	if !c.TopicCardMsgID.Valid {
		return nil
	}
	card, err := b.topicCard(ctx, tx, c) // scope.go
	if err != nil {
		return err
	}
	kb := b.topicKeyboard(c)
	chat, msg, id := c.TopicChatID.Int64, int(c.TopicCardMsgID.Int64), c.ID
	fx.add(func() {
		b.outbox.submit(b.sendCtx, chat, func(context.Context) error {
			p := &tg.EditMessageTextParams{ChatID: chat, MessageID: msg, Text: card, ParseMode: models.ParseModeHTML, ReplyMarkup: telegram.WireMarkup(kb)}
			err := b.send.Do(b.sendCtx, telegram.Target{ChatID: chat, Group: true}, "editMessageText", func(ctx context.Context) error {
				_, err := b.api.EditMessageText(ctx, p)
				return err
			})
			if err != nil {
				b.log.Warn("editing case card", "case", id, "err", err)
			}
			return nil
		})
	})
	return nil
}

// privateCaseMessage sends a counsellor's private-chat message (or note)
// to the case they took with /take.
func (b *Bot) privateCaseMessage(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, m *models.Message, text string, note bool) error {
	lang := staffLang(from)
	c, ok, err := b.caseInScope(ctx, tx, s, from, s.PrivateCaseID.Int64, "message")
	if err != nil {
		return err
	}
	if !ok {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "no_private_case", nil), nil)
		return nil
	}
	if !c.Open() {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "case_is_closed", map[string]any{"ID": c.ID}), nil)
		return nil
	}
	// What the counsellor wrote about the person here goes with an erasure
	// too (a bot may delete what it received in a private chat).
	if m != nil {
		if err := tx.RecordPost(ctx, c.ID, m.Chat.ID, m.ID); err != nil {
			return err
		}
	}
	if note {
		if strings.TrimSpace(text) == "" {
			return nil
		}
		return b.addNote(ctx, tx, fx, s, from, c, text)
	}
	return b.counsellorMessage(ctx, tx, fx, s, from, c, m, text)
}

func (b *Bot) addNote(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, c store.Case, text string) error {
	if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: s.ID, Kind: "note", Body: text}); err != nil {
		return err
	}
	return tx.Audit(ctx, s.ID, from.ID, "note", c.ID, "")
}

// counsellorMessage records a counsellor's answer, to be relayed to the
// returnee signed with the counsellor's display name.
func (b *Bot) counsellorMessage(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, c store.Case, m *models.Message, text string) error {
	if c.Status == store.CaseNew || c.AssigneeStaffID.Int64 == 0 {
		if err := b.assign(ctx, tx, fx, s, from, c); err != nil {
			return err
		}
	}
	media := ""
	if m != nil && m.Text == "" {
		media = telegram.MediaKind(m)
		text = textfold.Clean(m.Caption)
	}
	ev := store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: s.ID, Kind: "message", Body: text, Media: media, RelayTo: relayReturnee}
	if m != nil {
		ev.SrcChatID, ev.SrcMsgID = m.Chat.ID, m.ID
	}
	if _, err := tx.AddCaseEvent(ctx, ev); err != nil {
		return err
	}
	if err := tx.SetCaseStatus(ctx, c.ID, store.CaseWaiting, 0); err != nil {
		return err
	}
	if err := tx.MarkFirstResponse(ctx, c.ID, b.now()); err != nil {
		return err
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "message", c.ID, media); err != nil {
		return err
	}
	fx.add(func() { b.kickRelay(c.ID, relayReturnee) })
	return nil
}

// Callback data of the transport's own buttons: "<ns>:<action>:<id>[:<arg>]",
// ns "k" for cases, "a" for announcements. The flows' own buttons start
// with a digit, so they never mix.
func buttonData(ns, action string, id int64, arg ...string) string {
	s := ns + ":" + action + ":" + strconv.FormatInt(id, 10)
	for _, a := range arg {
		s += ":" + a
	}
	return s
}

func parseButtonData(ns, data string) (action string, id int64, arg string, ok bool) {
	parts := strings.SplitN(data, ":", 4)
	if len(parts) < 3 || parts[0] != ns {
		return "", 0, "", false
	}
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || id <= 0 {
		return "", 0, "", false
	}
	if len(parts) == 4 {
		arg = parts[3]
	}
	return parts[1], id, arg, true
}

func caseData(action string, id int64, arg ...string) string {
	return buttonData("k", action, id, arg...)
}

func parseCaseData(data string) (string, int64, string, bool) { return parseButtonData("k", data) }

func (b *Bot) outcomeKeyboard(lang string, id int64) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{}
	for i, o := range store.Outcomes {
		btn := models.InlineKeyboardButton{Text: b.cat.T(lang, "outcome_"+o, nil), CallbackData: caseData("out", id, o)}
		if i%2 == 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{btn})
		} else {
			kb.InlineKeyboard[len(kb.InlineKeyboard)-1] = append(kb.InlineKeyboard[len(kb.InlineKeyboard)-1], btn)
		}
	}
	return kb
}

// caseCallback handles a staff member's case button (take, close, outcome)
// in the group or a private chat; it returns the toast to show.
func (b *Bot) caseCallback(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, cq *models.CallbackQuery) (string, error) {
	lang := staffLang(from)
	action, id, arg, ok := parseCaseData(cq.Data)
	if !ok {
		return "", tx.Audit(ctx, s.ID, from.ID, "denied_callback", 0, "malformed")
	}
	c, ok, err := b.caseInScope(ctx, tx, s, from, id, action)
	if err != nil || !ok {
		return b.cat.T(lang, "case_not_in_scope", nil), err
	}
	chat := int64(0)
	if m := cq.Message.Message; m != nil {
		chat = m.Chat.ID
	}
	switch action {
	case "profile": // the topic card's full-profile button (scope.go)
		return b.showProfile(ctx, tx, fx, s, from, c)
	case "take":
		if c.AssigneeStaffID.Valid && c.AssigneeStaffID.Int64 != s.ID {
			return b.cat.T(lang, "case_taken_by", map[string]any{"Name": c.AssigneeName.String}), nil
		}
		if !c.Open() {
			return b.cat.T(lang, "case_is_closed", map[string]any{"ID": c.ID}), nil
		}
		if err := tx.Audit(ctx, s.ID, from.ID, "view", c.ID, "card"); err != nil {
			return "", err
		}
		return b.cat.T(lang, "toast_taken", nil), b.assign(ctx, tx, fx, s, from, c)
	case "close":
		if !c.Open() {
			return b.cat.T(lang, "case_is_closed", map[string]any{"ID": c.ID}), nil
		}
		if cq.Message.Message != nil && cq.Message.Message.Chat.Type != models.ChatTypePrivate {
			b.groupReplyAfter(fx, chat, int(c.TopicThreadID.Int64), b.cat.T(groupLang, "choose_outcome", map[string]any{"ID": c.ID}), b.outcomeKeyboard(groupLang, c.ID))
		} else {
			b.replyAfter(fx, from.ID, b.cat.T(lang, "choose_outcome", map[string]any{"ID": c.ID}), b.outcomeKeyboard(lang, c.ID))
		}
		return "", nil
	case "out":
		if !c.Open() {
			return b.cat.T(lang, "case_is_closed", map[string]any{"ID": c.ID}), nil
		}
		valid := false
		for _, o := range store.Outcomes {
			valid = valid || o == arg
		}
		if !valid {
			return "", tx.Audit(ctx, s.ID, from.ID, "denied_callback", c.ID, "bad outcome")
		}
		return b.cat.T(lang, "toast_closed", nil), b.closeCase(ctx, tx, fx, s, from, c, arg)
	}
	return "", tx.Audit(ctx, s.ID, from.ID, "denied_callback", c.ID, "unknown action")
}

// closeCase closes with an outcome; the returnee is told and asked for a
// rating (through the relay, so it survives a crash).
func (b *Bot) closeCase(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, c store.Case, outcome string) error {
	if err := tx.CloseCase(ctx, c.ID, outcome, b.now()); err != nil {
		return err
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "close", c.ID, outcome); err != nil {
		return err
	}
	if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: s.ID, Kind: "closed", Body: outcome, RelayTo: relayReturnee}); err != nil {
		return err
	}
	if err := tx.ClearPrivateCase(ctx, c.ID); err != nil {
		return err
	}
	if c.TopicThreadID.Valid {
		c.Status = store.CaseClosed
		if err := b.refreshCard(ctx, tx, fx, c); err != nil {
			return err
		}
		chat, thread := c.TopicChatID.Int64, int(c.TopicThreadID.Int64)
		b.groupReplyAfter(fx, chat, thread, b.cat.T(groupLang, "topic_closed", map[string]any{
			"Outcome": b.cat.T(groupLang, "outcome_"+outcome, nil), "Name": escape(s.DisplayName),
		}), nil)
		fx.add(func() { b.topicOpen(chat, thread, false) })
	}
	fx.add(func() { b.kickRelay(c.ID, relayReturnee) })
	return nil
}

// topicOpen closes or reopens a case's forum topic.
func (b *Bot) topicOpen(chat int64, thread int, open bool) {
	b.outbox.submit(b.sendCtx, chat, func(ctx context.Context) error {
		method := "closeForumTopic"
		if open {
			method = "reopenForumTopic"
		}
		err := b.send.Do(b.sendCtx, telegram.Target{ChatID: chat, Group: true}, method, func(ctx context.Context) error {
			var err error
			if open {
				_, err = b.api.ReopenForumTopic(ctx, &tg.ReopenForumTopicParams{ChatID: chat, MessageThreadID: thread})
			} else {
				_, err = b.api.CloseForumTopic(ctx, &tg.CloseForumTopicParams{ChatID: chat, MessageThreadID: thread})
			}
			return err
		})
		if err != nil {
			b.log.Warn("forum topic open/close", "chat", chat, "thread", thread, "open", open, "err", err)
		}
		return nil
	})
}

// dropButtonsAfter removes the keyboard of an answered question after
// commit, so it is not pressed again.
func (b *Bot) dropButtonsAfter(fx *effects, cq *models.CallbackQuery) {
	m := cq.Message.Message
	if m == nil {
		return
	}
	chat, msg := m.Chat.ID, m.ID
	fx.add(func() {
		b.outbox.submit(b.sendCtx, chat, func(context.Context) error {
			err := b.send.Do(b.sendCtx, telegram.Target{ChatID: chat, Group: chat < 0}, "editMessageReplyMarkup", func(ctx context.Context) error {
				_, err := b.api.EditMessageReplyMarkup(ctx, &tg.EditMessageReplyMarkupParams{ChatID: chat, MessageID: msg})
				return err
			})
			if err != nil {
				b.log.Warn("removing answered buttons", "chat", chat, "err", err)
			}
			return nil
		})
	})
}

// escape is for user and reference data inside HTML texts.
func escape(s string) string { return escapeParams(map[string]any{"s": s})["s"].(string) }

var _ = fmt.Sprintf
