package casework

import (
	"context"
	"database/sql"
	"errors"
	"reentrybot/bot"
	"reentrybot/channel/telegram"
	"reentrybot/store"
	"reentrybot/textfold"
	"strconv"
	"strings"

	tg "github.com/go-telegram/bot"

	"github.com/go-telegram/bot/models"
)

// The desk's commands on a case in a staff member's private chat, refused
// to anyone else exactly like unknown commands; /note is also written in a
// case's topic (group.go).
func init() {
	caseWork := []store.Role{store.RoleCounsellor, store.RoleAdmin}
	bot.RegisterCaseCommand(feature, "case", command(openCaseCmd), false, caseWork...)
	bot.RegisterCaseCommand(feature, "take", command(openCaseCmd), false, caseWork...)
	bot.RegisterCaseCommand(feature, "done", command(doneCmd), false, caseWork...)
	bot.RegisterCaseCommand(feature, "close", command(closeCmd), false, caseWork...)
	bot.RegisterCaseCommand(feature, "note", command(noteCmd), true)
	bot.RegisterCaseCommand(feature, "setup", command(setupCmd), false)
}

// command adapts a desk command to the registry.
func command(fn func(ctx context.Context, b desk, c *bot.StaffCommand) error) func(context.Context, *bot.Bot, *bot.StaffCommand) error {
	return func(ctx context.Context, b *bot.Bot, c *bot.StaffCommand) error { return fn(ctx, desk{b}, c) }
}

// groupReply queues a message into the staff group (a topic when thread
// is not 0) after commit.
func (b desk) groupReplyAfter(fx *bot.Effects, chatID int64, thread int, text string, markup models.ReplyMarkup) {
	fx.Add(func() {
		b.Queue(chatID, func(ctx context.Context) { _ = b.sendGroup(ctx, chatID, thread, text, markup) })
	})
}

func (b desk) sendGroup(ctx context.Context, chatID int64, thread int, text string, markup models.ReplyMarkup) error {
	_, err := b.sendGroupMsg(ctx, chatID, thread, text, markup)
	return err
}

func (b desk) sendGroupMsg(ctx context.Context, chatID int64, thread int, text string, markup models.ReplyMarkup) (int, error) {
	var id int
	err := b.Sender().Do(ctx, telegram.Target{ChatID: chatID, Group: true}, "sendMessage", func(ctx context.Context) error {
		m, err := b.API().SendMessage(ctx, &tg.SendMessageParams{
			ChatID: chatID, MessageThreadID: thread, Text: text, ParseMode: models.ParseModeHTML,
			ReplyMarkup: telegram.WireMarkup(markup), LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()},
		})
		if err == nil {
			id = m.ID
		}
		return err
	})
	if err != nil {
		b.Log().Error("sending to staff group", "chat", chatID, "thread", thread, "err", err)
	}
	return id, err
}

// staffSay answers a staff member in their private chat, after commit.
func (b desk) staffSay(fx *bot.Effects, from models.User, key string, p map[string]any) {
	b.ReplyAfter(fx, from.ID, b.Catalog().T(bot.StaffLang(from), key, p), nil)
}

func openCaseCmd(ctx context.Context, b desk, c *bot.StaffCommand) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(c.Arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		b.staffSay(c.Effects(), c.From, "take_usage", nil)
		return nil
	}
	return b.staffOpenCase(ctx, c.Tx, c.Effects(), c.Staff, c.From, id, c.Name == "take")
}

func doneCmd(ctx context.Context, b desk, c *bot.StaffCommand) error {
	if err := c.Tx.SetPrivateCase(ctx, c.Staff.ID, 0); err != nil {
		return err
	}
	b.staffSay(c.Effects(), c.From, "done_private", nil)
	return nil
}

func closeCmd(ctx context.Context, b desk, c *bot.StaffCommand) error {
	fx, from := c.Effects(), c.From
	id := c.Staff.PrivateCaseID.Int64
	if c.Arg != "" {
		id, _ = strconv.ParseInt(strings.TrimPrefix(c.Arg, "#"), 10, 64)
	}
	k, ok, err := b.caseInScope(ctx, c.Tx, c.Staff, from, id, "close")
	if err != nil || !ok {
		if err == nil {
			b.staffSay(fx, from, "case_not_found", map[string]any{"ID": id})
		}
		return err
	}
	b.ReplyAfter(fx, from.ID, b.Catalog().T(c.Lang, "choose_outcome", map[string]any{"ID": k.ID}), b.outcomeKeyboard(c.Lang, k.ID))
	return nil
}

func noteCmd(ctx context.Context, b desk, c *bot.StaffCommand) error {
	return b.privateCaseMessage(ctx, c.Tx, c.Effects(), c.Staff, c.From, c.Message, c.Arg, true)
}

func setupCmd(_ context.Context, b desk, c *bot.StaffCommand) error {
	b.staffSay(c.Effects(), c.From, "setup_in_group", nil)
	return nil
}

// caseInScope reads a case the staff member may work on, logging access
// refused. ok is false (with a nil error) when it is not there or not theirs.
func (b desk) caseInScope(ctx context.Context, tx *store.Tx, s store.Staff, from models.User, id int64, action string) (store.Case, bool, error) {
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
		b.Log().Warn("case out of scope", "staff", s.ID, "case", id, "action", action)
		return c, false, tx.Audit(ctx, s.ID, from.ID, "denied_"+action, id, "out of scope")
	}
	return c, true, nil
}

// staffOpenCase shows a case card in the private chat; with take, the
// counsellor also takes the case and answers it from here until /done.
func (b desk) staffOpenCase(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, id int64, take bool) error {
	lang := bot.StaffLang(from)
	c, ok, err := b.caseInScope(ctx, tx, s, from, id, "view")
	if err != nil {
		return err
	}
	if !ok {
		b.ReplyAfter(fx, from.ID, b.Catalog().T(lang, "case_not_found", map[string]any{"ID": id}), nil)
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
		b.caseReplyAfter(fx, c.ID, from.ID, card+"\n\n"+b.Catalog().T(lang, "case_is_closed", map[string]any{"ID": c.ID}))
		return nil
	}
	if err := b.assign(ctx, tx, fx, s, from, c); err != nil {
		return err
	}
	if err := tx.SetPrivateCase(ctx, s.ID, c.ID); err != nil {
		return err
	}
	b.caseReplyAfter(fx, c.ID, from.ID, card+"\n\n"+b.Catalog().T(lang, "taken_private", map[string]any{"ID": c.ID, "Name": bot.Escape(s.DisplayName)}))
	// Messages the returnee wrote before anyone took the case, when there
	// is no topic, come here now.
	fx.Add(func() { b.kickRelay(c.ID, store.RelayTopic) })
	return nil
}

// assign gives the case to the staff member (no-op when already theirs).
func (b desk) assign(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, c store.Case) error {
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
			b.Catalog().T(groupLang, "topic_taken", map[string]any{"Name": bot.Escape(s.DisplayName)}), nil)
		c.Status, c.AssigneeName = st, sql.NullString{String: s.DisplayName, Valid: true}
		return b.refreshCard(ctx, tx, fx, c)
	}
	return nil
}

// refreshCard edits the case card in the topic to the case's status: who
// took it, or closed without buttons.
func (b desk) refreshCard(ctx context.Context, tx *store.Tx, fx *bot.Effects, c store.Case) error {
	if !c.TopicCardMsgID.Valid {
		return nil
	}
	card, err := b.topicCard(ctx, tx, c) // scope.go
	if err != nil {
		return err
	}
	kb := b.topicKeyboard(c)
	chat, msg, id := c.TopicChatID.Int64, int(c.TopicCardMsgID.Int64), c.ID
	fx.Add(func() {
		b.Queue(chat, func(context.Context) {
			p := &tg.EditMessageTextParams{ChatID: chat, MessageID: msg, Text: card, ParseMode: models.ParseModeHTML, ReplyMarkup: telegram.WireMarkup(kb)}
			err := b.Sender().Do(b.SendContext(), telegram.Target{ChatID: chat, Group: true}, "editMessageText", func(ctx context.Context) error {
				_, err := b.API().EditMessageText(ctx, p)
				return err
			})
			if err != nil {
				b.Log().Warn("editing case card", "case", id, "err", err)
			}
		})
	})
	return nil
}

// privateCaseMessage sends a counsellor's private-chat message (or note)
// to the case they took with /take.
func (b desk) privateCaseMessage(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, m *models.Message, text string, note bool) error {
	lang := bot.StaffLang(from)
	c, ok, err := b.caseInScope(ctx, tx, s, from, s.PrivateCaseID.Int64, "message")
	if err != nil {
		return err
	}
	if !ok {
		b.ReplyAfter(fx, from.ID, b.Catalog().T(lang, "no_private_case", nil), nil)
		return nil
	}
	if !c.Open() {
		b.ReplyAfter(fx, from.ID, b.Catalog().T(lang, "case_is_closed", map[string]any{"ID": c.ID}), nil)
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

func (b desk) addNote(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, c store.Case, text string) error {
	if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: s.ID, Kind: "note", Body: text}); err != nil {
		return err
	}
	return tx.Audit(ctx, s.ID, from.ID, "note", c.ID, "")
}

// counsellorMessage records a counsellor's answer, to be relayed to the
// returnee signed with the counsellor's display name.
func (b desk) counsellorMessage(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, c store.Case, m *models.Message, text string) error {
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
	ev := store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: s.ID, Kind: "message", Body: text, Media: media, RelayTo: store.RelayReturnee}
	if m != nil {
		ev.SrcChatID, ev.SrcMsgID = m.Chat.ID, m.ID
		// Kept to hand the file to a person on another messenger.
		if id, name, ok := telegram.FileOf(m); ok {
			ev.MediaRef, ev.MediaName = id, name
		}
	}
	if _, err := tx.AddCaseEvent(ctx, ev); err != nil {
		return err
	}
	if err := tx.SetCaseStatus(ctx, c.ID, store.CaseWaiting, 0); err != nil {
		return err
	}
	if err := tx.MarkFirstResponse(ctx, c.ID, b.Now()); err != nil {
		return err
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "message", c.ID, media); err != nil {
		return err
	}
	fx.Add(func() { b.kickRelay(c.ID, store.RelayReturnee) })
	return nil
}

func (b desk) outcomeKeyboard(lang string, id int64) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{}
	for i, o := range store.Outcomes {
		btn := models.InlineKeyboardButton{Text: b.Catalog().T(lang, "outcome_"+o, nil), CallbackData: bot.CaseData("out", id, o)}
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
func (b desk) caseCallback(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, cq *models.CallbackQuery) (string, error) {
	lang := bot.StaffLang(from)
	action, id, arg, ok := bot.ParseCaseData(cq.Data)
	if !ok {
		return "", tx.Audit(ctx, s.ID, from.ID, "denied_callback", 0, "malformed")
	}
	c, ok, err := b.caseInScope(ctx, tx, s, from, id, action)
	if err != nil || !ok {
		return b.Catalog().T(lang, "case_not_in_scope", nil), err
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
			return b.Catalog().T(lang, "case_taken_by", map[string]any{"Name": c.AssigneeName.String}), nil
		}
		if !c.Open() {
			return b.Catalog().T(lang, "case_is_closed", map[string]any{"ID": c.ID}), nil
		}
		if err := tx.Audit(ctx, s.ID, from.ID, "view", c.ID, "card"); err != nil {
			return "", err
		}
		return b.Catalog().T(lang, "toast_taken", nil), b.assign(ctx, tx, fx, s, from, c)
	case "close":
		if !c.Open() {
			return b.Catalog().T(lang, "case_is_closed", map[string]any{"ID": c.ID}), nil
		}
		if cq.Message.Message != nil && cq.Message.Message.Chat.Type != models.ChatTypePrivate {
			b.groupReplyAfter(fx, chat, int(c.TopicThreadID.Int64), b.Catalog().T(groupLang, "choose_outcome", map[string]any{"ID": c.ID}), b.outcomeKeyboard(groupLang, c.ID))
		} else {
			b.ReplyAfter(fx, from.ID, b.Catalog().T(lang, "choose_outcome", map[string]any{"ID": c.ID}), b.outcomeKeyboard(lang, c.ID))
		}
		return "", nil
	case "out":
		if !c.Open() {
			return b.Catalog().T(lang, "case_is_closed", map[string]any{"ID": c.ID}), nil
		}
		valid := false
		for _, o := range store.Outcomes {
			valid = valid || o == arg
		}
		if !valid {
			return "", tx.Audit(ctx, s.ID, from.ID, "denied_callback", c.ID, "bad outcome")
		}
		return b.Catalog().T(lang, "toast_closed", nil), b.closeCase(ctx, tx, fx, s, from, c, arg)
	}
	return "", tx.Audit(ctx, s.ID, from.ID, "denied_callback", c.ID, "unknown action")
}

// closeCase closes with an outcome; the returnee is told and asked for a
// rating (through the relay, so it survives a crash).
func (b desk) closeCase(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, c store.Case, outcome string) error {
	if err := tx.CloseCase(ctx, c.ID, outcome, b.Now()); err != nil {
		return err
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "close", c.ID, outcome); err != nil {
		return err
	}
	if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: s.ID, Kind: "closed", Body: outcome, RelayTo: store.RelayReturnee}); err != nil {
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
		b.groupReplyAfter(fx, chat, thread, b.Catalog().T(groupLang, "topic_closed", map[string]any{
			"Outcome": b.Catalog().T(groupLang, "outcome_"+outcome, nil), "Name": bot.Escape(s.DisplayName),
		}), nil)
		fx.Add(func() { b.topicOpen(chat, thread, false) })
	}
	fx.Add(func() { b.kickRelay(c.ID, store.RelayReturnee) })
	return nil
}

// topicOpen closes or reopens a case's forum topic.
func (b desk) topicOpen(chat int64, thread int, open bool) {
	b.Queue(chat, func(ctx context.Context) {
		method := "closeForumTopic"
		if open {
			method = "reopenForumTopic"
		}
		err := b.Sender().Do(b.SendContext(), telegram.Target{ChatID: chat, Group: true}, method, func(ctx context.Context) error {
			var err error
			if open {
				_, err = b.API().ReopenForumTopic(ctx, &tg.ReopenForumTopicParams{ChatID: chat, MessageThreadID: thread})
			} else {
				_, err = b.API().CloseForumTopic(ctx, &tg.CloseForumTopicParams{ChatID: chat, MessageThreadID: thread})
			}
			return err
		})
		if err != nil {
			b.Log().Warn("forum topic open/close", "chat", chat, "thread", thread, "open", open, "err", err)
		}
	})
}
