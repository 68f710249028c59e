package announcements

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/announce"
	"reentrybot/bot"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
	"reentrybot/textfold"
)

// Composer steps, kept in broadcasts.step of the draft (package announce:
// the desk's form writes them too).
const (
	stepContent  = announce.StepContent
	stepAudience = announce.StepAudience
	stepInterest = announce.StepInterest
	stepWhen     = announce.StepWhen
	stepConfirm  = announce.StepConfirm
)

// draftLife is how long an untouched draft keeps catching what its author
// types; after it the author's messages go to their case work again.
const draftLife = announce.DraftLife

// Callback data of announcement buttons: "a:<action>:<broadcast>[:<arg>]".
func announceData(action string, id int64, arg ...string) string {
	return bot.ButtonData("a", action, id, arg...)
}

func parseAnnounceData(data string) (string, int64, string, bool) {
	return bot.ParseButtonData("a", data)
}

// canAnnounce: commune officers (of their communes) and admins.
func canAnnounce(s store.Staff) bool { return announce.Allowed(s) }

// announceCommand answers /announce, /announcements and /cancel in a staff
// member's private chat.
func (t *turn) announceCommand(ctx context.Context, in flows.Input) error {
	lang := t.lang
	say := func(key string, p map[string]any) { t.reply(t.Catalog().T(lang, key, p), nil) }
	if !canAnnounce(t.s) {
		t.Log().Warn("announcement command refused", "staff", t.s.ID, "command", in.Command)
		say("announce_not_allowed", nil)
		return t.tx.Audit(ctx, t.s.ID, t.from.ID, "denied_announce", 0, in.Command)
	}
	switch in.Command {
	case "announce":
		if _, err := t.tx.NewDraft(ctx, t.s.ID, t.from.ID, lang); err != nil {
			return err
		}
		say("announce_ask_content", map[string]any{"MaxText": maxAnnounceText, "MaxCaption": maxAnnounceCaption})
		return nil
	case "announcements":
		return t.listAnnouncements(ctx)
	}
	if in.Arg == "" {
		dropped, err := t.tx.DiscardDraft(ctx, t.s.ID)
		if err != nil {
			return err
		}
		if dropped {
			say("announce_discarded", nil)
		} else {
			say("announce_no_draft", nil)
		}
		return nil
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(in.Arg, "#"), 10, 64)
	if err != nil || id <= 0 {
		say("announce_no_draft", nil)
		return nil
	}
	_, err = t.cancelAnnouncement(ctx, id)
	return err
}

// draftContent takes the announcement's text, or a photo or document with
// its caption (kept by file_id: Telegram sends it again without upload).
func (t *turn) draftContent(ctx context.Context, d store.Broadcast, m *models.Message, in flows.Input) error {
	lang := t.lang
	say := func(key string, p map[string]any) { t.reply(t.Catalog().T(lang, key, p), nil) }
	var body string
	limit := maxAnnounceText
	d.MediaKind, d.MediaFileID = sql.NullString{}, sql.NullString{}
	switch {
	case in.Kind == flows.InText:
		body = in.Text
	case m != nil && len(m.Photo) > 0:
		biggest := m.Photo[len(m.Photo)-1]
		d.MediaKind, d.MediaFileID = sql.NullString{String: "photo", Valid: true}, sql.NullString{String: biggest.FileID, Valid: true}
		body, limit = textfold.Clean(m.Caption), maxAnnounceCaption
	case m != nil && m.Document != nil:
		d.MediaKind, d.MediaFileID = sql.NullString{String: "document", Valid: true}, sql.NullString{String: m.Document.FileID, Valid: true}
		body, limit = textfold.Clean(m.Caption), maxAnnounceCaption
	default:
		say("announce_bad_media", nil)
		return nil
	}
	if n := len(utf16.Encode([]rune(body))); n > limit {
		say("announce_too_long", map[string]any{"Len": n, "Max": limit})
		return nil
	}
	if body == "" && !d.MediaKind.Valid {
		say("announce_bad_media", nil)
		return nil
	}
	d.Body = body
	if t.s.Role == store.RoleOfficer && len(t.s.Communes) == 1 {
		d.ProvinceWide, d.Communes = false, []string{t.s.Communes[0]}
		return t.askInterest(ctx, d)
	}
	d.Step = stepAudience
	if err := t.tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{}
	if t.s.Role == store.RoleAdmin {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: t.Catalog().T(lang, "btn_announce_province", nil), CallbackData: announceData("aud", d.ID, "all")},
		})
		t.reply(t.Catalog().T(lang, "announce_ask_audience_admin", nil), kb)
		return nil
	}
	names, err := t.tx.CommuneNames(ctx, t.s.Communes)
	if err != nil {
		return err
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
		{Text: t.Catalog().T(lang, "btn_announce_all_mine", nil), CallbackData: announceData("aud", d.ID, "all")},
	})
	for _, code := range t.s.Communes {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: communeLabel(names, code), CallbackData: announceData("com", d.ID, code)},
		})
	}
	t.reply(t.Catalog().T(lang, "announce_ask_audience_officer", nil), kb)
	return nil
}

func communeLabel(names map[string]string, code string) string {
	if n := names[code]; n != "" {
		return n
	}
	return code
}

// searchCommunes answers an admin typing part of a commune's name with
// the matches as buttons that add the commune to the audience.
func (t *turn) searchCommunes(ctx context.Context, d store.Broadcast, q string) error {
	lang := t.lang
	found, err := t.tx.SearchCommunes(ctx, textfold.Fold(q), 8)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		t.reply(t.Catalog().T(lang, "announce_no_commune", map[string]any{"Query": bot.Escape(q)}), nil)
		return nil
	}
	kb := &models.InlineKeyboardMarkup{}
	for _, c := range found {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: c.Name, CallbackData: announceData("com", d.ID, c.Code)},
		})
	}
	t.reply(t.Catalog().T(lang, "announce_pick_commune", nil), kb)
	return nil
}

// askInterest saves the audience and asks which of its people: each
// button shows how many it would reach now.
func (t *turn) askInterest(ctx context.Context, d store.Broadcast) error {
	lang := t.lang
	d.Step = stepInterest
	if err := t.tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{}
	for i, interest := range store.Interests {
		a := d.Audience()
		a.Interest = interest
		n, err := t.tx.CountAudience(ctx, a)
		if err != nil {
			return err
		}
		shown, _ := shownCount(t.s.Role, n)
		btn := models.InlineKeyboardButton{
			Text:         t.Catalog().T(lang, "btn_interest_"+interest, map[string]any{"N": shown}),
			CallbackData: announceData("int", d.ID, interest),
		}
		if i%2 == 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{btn})
		} else {
			kb.InlineKeyboard[len(kb.InlineKeyboard)-1] = append(kb.InlineKeyboard[len(kb.InlineKeyboard)-1], btn)
		}
	}
	where, err := t.whereText(ctx, lang, d)
	if err != nil {
		return err
	}
	t.reply(t.Catalog().T(lang, "announce_ask_interest", map[string]any{"Where": where}), kb)
	return nil
}

func (t *turn) askWhen(ctx context.Context, d store.Broadcast) error {
	lang := t.lang
	d.Step, d.ScheduledAt = stepWhen, sql.NullTime{}
	if err := t.tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: t.Catalog().T(lang, "btn_when_now", nil), CallbackData: announceData("when", d.ID, "now")},
		{Text: t.Catalog().T(lang, "btn_when_tomorrow", nil), CallbackData: announceData("when", d.ID, "tomorrow")},
	}}}
	t.reply(t.Catalog().T(lang, "announce_ask_when", nil), kb)
	return nil
}

// showConfirm sends the preview, exactly as recipients will see it, and
// the summary with the number of recipients and the Send button.
func (t *turn) showConfirm(ctx context.Context, d store.Broadcast) error {
	lang := t.lang
	n, err := t.tx.CountAudience(ctx, d.Audience())
	if err != nil {
		return err
	}
	if n == 0 {
		t.reply(t.Catalog().T(lang, "announce_nobody", nil), nil)
		return t.askInterest(ctx, d)
	}
	d.Step = stepConfirm
	if err := t.tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	summary, err := t.summaryText(ctx, lang, "announce_summary", t.s.Role, d, n)
	if err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: t.Catalog().T(lang, "btn_announce_send", nil), CallbackData: announceData("go", d.ID)},
		{Text: t.Catalog().T(lang, "btn_announce_discard", nil), CallbackData: announceData("drop", d.ID)},
	}}}
	if n > t.BroadcastOptions().ApprovalOver && t.s.Role != store.RoleAdmin {
		summary += "\n\n" + t.Catalog().T(lang, "announce_needs_approval", map[string]any{"Over": t.BroadcastOptions().ApprovalOver})
	}
	chat, intro := t.from.ID, t.Catalog().T(lang, "announce_preview_intro", nil)
	t.after(func() {
		t.Queue(chat, func(ctx context.Context) {
			if t.SendMarkup(ctx, chat, intro, nil) != nil || previewAnnouncement(ctx, t.Bot, chat, lang, d) != nil {
				return
			}
			_ = t.SendMarkup(ctx, chat, summary, kb)
		})
	})
	return nil
}

// shownCount is an audience size as a staff member of role may see it:
// below report.SmallCount an officer reads "< 5", as in the monthly
// report, so that a count cannot single out the few people of a commune
// (issue 16, item 7); admins see it exact. plural selects the catalog's
// plural form.
func shownCount(role store.Role, n int) (shown string, plural int) { return announce.Shown(role, n) }

// summaryText describes a broadcast to a staff member of role:
// recipients, where, who, when.
func (t *turn) summaryText(ctx context.Context, lang, key string, role store.Role, d store.Broadcast, n int) (string, error) {
	where, err := t.whereText(ctx, lang, d)
	if err != nil {
		return "", err
	}
	when := t.Catalog().T(lang, "announce_when_now", nil)
	if d.ScheduledAt.Valid {
		when = whenText(t.Bot, lang, d.ScheduledAt.Time)
	}
	shown, plural := shownCount(role, n) // the summary is HTML: "<" is escaped
	text := t.Catalog().T(lang, key, map[string]any{
		"ID": d.ID, "Count": plural, "People": html.EscapeString(shown), "Where": where, "Who": t.Catalog().T(lang, "interest_"+d.Interest, nil),
		"When": when, "Author": bot.Escape(d.AuthorName),
	})
	by, err := t.channelsText(ctx, lang, role, d)
	if err != nil || by == "" {
		return text, err
	}
	return text + "\n" + by, nil
}

// channelsText says how many recipients each channel has, and how a
// channel with rules of its own would reach them; "" when everyone is on
// Telegram. Every figure below 5 reads "< 5" to an officer.
func (t *turn) channelsText(ctx context.Context, lang string, role store.Role, d store.Broadcast) (string, error) {
	counts, err := announce.ByChannel(ctx, t.tx, d.Audience(), Reacher(t.Bot))
	if err != nil || len(counts) == 0 || (len(counts) == 1 && counts[0].Channel == string(telegram.Name)) {
		return "", err
	}
	show := func(n int) string { v, _ := shownCount(role, n); return html.EscapeString(v) }
	var parts []string
	for _, c := range counts {
		part := t.Catalog().T(lang, "announce_on_channel", map[string]any{"Channel": channelLabel(c.Channel), "People": show(c.People)})
		if c.ReachErr != nil {
			t.Log().Warn("previewing an announcement's reach", "channel", c.Channel, "err", c.ReachErr)
		} else if how := c.Reach; how != nil {
			part += " " + t.Catalog().T(lang, "announce_reach_how", map[string]any{
				"Messages": show(how.Messages), "Templates": show(how.Templates), "Skipped": show(how.Skipped)})
		}
		parts = append(parts, part)
	}
	return t.Catalog().T(lang, "announce_by_channel", map[string]any{"List": strings.Join(parts, "; ")}), nil
}

// channelLabel is a channel's name as staff know it.
func channelLabel(name string) string { return announce.ChannelLabel(name) }

// whereText names the audience's communes (the first few), or the province.
func (t *turn) whereText(ctx context.Context, lang string, d store.Broadcast) (string, error) {
	if d.ProvinceWide {
		return t.Catalog().T(lang, "announce_where_province", nil), nil
	}
	names, err := t.tx.CommuneNames(ctx, d.Communes)
	if err != nil {
		return "", err
	}
	var parts []string
	for i, c := range d.Communes {
		if i == 5 {
			parts = append(parts, "+"+strconv.Itoa(len(d.Communes)-5))
			break
		}
		parts = append(parts, bot.Escape(communeLabel(names, c)))
	}
	return strings.Join(parts, ", "), nil
}

// parseWhen reads "dd/mm hh:mm" (or "dd/mm/yyyy hh:mm") in loc. Without a
// year it is the next such moment. key names the complaint when it fails.
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, string) {
	return announce.ParseWhen(s, now, loc)
}

// announceCallback handles the announcement buttons of staff.
func (t *turn) announceCallback(ctx context.Context, cq *models.CallbackQuery) (string, error) {
	lang := t.lang
	stale := t.Catalog().T(lang, "button_stale", nil)
	action, id, arg, ok := parseAnnounceData(cq.Data)
	if !ok {
		return "", t.tx.Audit(ctx, t.s.ID, t.from.ID, "denied_callback", 0, "malformed announce")
	}
	switch action {
	case "ok", "no":
		return t.decideAnnouncement(ctx, cq, id, action == "ok")
	case "cancel":
		if !canAnnounce(t.s) {
			return stale, t.tx.Audit(ctx, t.s.ID, t.from.ID, "denied_announce", 0, "cancel")
		}
		done, err := t.cancelAnnouncement(ctx, id)
		if err != nil || !done {
			return "", err
		}
		return t.Catalog().T(lang, "toast_announce_cancelled", nil), nil
	}
	if !canAnnounce(t.s) {
		return stale, t.tx.Audit(ctx, t.s.ID, t.from.ID, "denied_announce", 0, action)
	}
	d, ok, err := t.tx.Draft(ctx, t.s.ID, draftLife, t.Now())
	if err != nil {
		return "", err
	}
	if !ok || d.ID != id {
		return stale, nil
	}
	switch {
	case action == "drop":
		if _, err := t.tx.DiscardDraft(ctx, t.s.ID); err != nil {
			return "", err
		}
		t.reply(t.Catalog().T(lang, "announce_discarded", nil), nil)
		return "", nil
	case action == "aud" && d.Step == stepAudience:
		d.ProvinceWide, d.Communes = t.s.Role == store.RoleAdmin, nil
		if t.s.Role != store.RoleAdmin {
			d.Communes = t.s.Communes
		}
		return "", t.askInterest(ctx, d)
	case action == "com" && d.Step == stepAudience:
		if t.s.Role != store.RoleAdmin && !t.s.InScope(arg) {
			t.Log().Warn("announcement to a commune out of scope", "staff", t.s.ID, "commune", arg)
			return t.Catalog().T(lang, "announce_not_in_scope", nil), t.tx.Audit(ctx, t.s.ID, t.from.ID, "denied_announce_scope", 0, arg)
		}
		if _, err := t.tx.Commune(ctx, arg); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return stale, nil
			}
			return "", err
		}
		if t.s.Role != store.RoleAdmin {
			d.ProvinceWide, d.Communes = false, []string{arg}
			return "", t.askInterest(ctx, d)
		}
		return "", t.addCommune(ctx, d, arg)
	case action == "fin" && d.Step == stepAudience && len(d.Communes) > 0:
		return "", t.askInterest(ctx, d)
	case action == "int" && d.Step == stepInterest && validInterest(arg):
		d.Interest = arg
		return "", t.askWhen(ctx, d)
	case action == "when" && d.Step == stepWhen && (arg == "now" || arg == "tomorrow"):
		d.ScheduledAt = sql.NullTime{}
		if arg == "tomorrow" {
			t := t.Now().In(t.Location())
			d.ScheduledAt = sql.NullTime{Time: time.Date(t.Year(), t.Month(), t.Day()+1, 8, 0, 0, 0, t.Location()), Valid: true}
		}
		return "", t.showConfirm(ctx, d)
	case action == "go" && d.Step == stepConfirm:
		return t.confirmAnnouncement(ctx, d)
	}
	return stale, nil
}

func validInterest(v string) bool {
	for _, i := range store.Interests {
		if i == v {
			return true
		}
	}
	return false
}

// addCommune adds a commune to an admin's audience and shows the choice.
func (t *turn) addCommune(ctx context.Context, d store.Broadcast, code string) error {
	lang := t.lang
	found := false
	for _, c := range d.Communes {
		found = found || c == code
	}
	if !found {
		d.Communes = append(d.Communes, code)
	}
	d.ProvinceWide = false
	if err := t.tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	where, err := t.whereText(ctx, lang, d)
	if err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: t.Catalog().T(lang, "btn_announce_done", nil), CallbackData: announceData("fin", d.ID)},
	}}}
	t.reply(t.Catalog().T(lang, "announce_chosen", map[string]any{"Where": where}), kb)
	return nil
}

// inScope checks the audience against the author's area once more: an
// officer reaches only their own communes, never the province.
func inScope(s store.Staff, d store.Broadcast) bool { return announce.InScope(s, d) }

// confirmAnnouncement schedules the broadcast, or sends it to the admins
// for approval when it reaches more than ApprovalOver people.
func (t *turn) confirmAnnouncement(ctx context.Context, d store.Broadcast) (string, error) {
	lang := t.lang
	if !inScope(t.s, d) {
		t.Log().Warn("announcement out of scope at confirmation", "staff", t.s.ID, "broadcast", d.ID)
		return t.Catalog().T(lang, "announce_not_in_scope", nil), t.tx.Audit(ctx, t.s.ID, t.from.ID, "denied_announce_scope", 0, strings.Join(d.Communes, ","))
	}
	n, err := t.tx.CountAudience(ctx, d.Audience())
	if err != nil {
		return "", err
	}
	if n == 0 {
		t.reply(t.Catalog().T(lang, "announce_nobody", nil), nil)
		return "", t.askInterest(ctx, d)
	}
	now := t.Now()
	st := announce.Status(t.s.Role, n, t.BroadcastOptions().ApprovalOver)
	if err := t.tx.ConfirmBroadcast(ctx, d.ID, st, n, now); err != nil {
		return "", err
	}
	if err := t.tx.Audit(ctx, t.s.ID, t.from.ID, "announce_"+string(st), 0, fmt.Sprintf("#%d to %d", d.ID, n)); err != nil {
		return "", err
	}
	if st == store.BroadcastScheduled {
		when := t.Catalog().T(lang, "announce_when_now", nil)
		if d.ScheduledAt.Valid {
			when = whenText(t.Bot, lang, d.ScheduledAt.Time)
		}
		t.reply(t.Catalog().T(lang, "announce_scheduled", map[string]any{"ID": d.ID, "When": when}), nil)
		t.after(workers(t.Bot).wake.notify)
		return t.Catalog().T(lang, "toast_announce_confirmed", nil), nil
	}
	if err := t.askApproval(ctx, d, n); err != nil {
		return "", err
	}
	t.reply(t.Catalog().T(lang, "announce_sent_for_approval", map[string]any{"ID": d.ID, "Over": t.BroadcastOptions().ApprovalOver}), nil)
	return t.Catalog().T(lang, "toast_announce_confirmed", nil), nil
}

// askApproval sends broadcast d, waiting for approval, to every admin
// with a Telegram account: the preview and Approve / Reject.
func (t *turn) askApproval(ctx context.Context, d store.Broadcast, n int) error {
	admins, err := t.tx.Admins(ctx)
	if err != nil {
		return err
	}
	if len(admins) == 0 {
		t.Log().Warn("announcement waits for approval but no admin has an account", "broadcast", d.ID)
	}
	for _, a := range admins {
		chat := a.TelegramUserID.Int64
		alang := i18n.Default // an admin's language is not stored; the staff texts default to Vietnamese
		req, err := t.summaryText(ctx, alang, "announce_approval_request", store.RoleAdmin, d, n)
		if err != nil {
			return err
		}
		kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: t.Catalog().T(alang, "btn_approve", nil), CallbackData: announceData("ok", d.ID)},
			{Text: t.Catalog().T(alang, "btn_reject", nil), CallbackData: announceData("no", d.ID)},
		}}}
		t.after(func() {
			t.Queue(chat, func(ctx context.Context) {
				if previewAnnouncement(ctx, t.Bot, chat, alang, d) == nil {
					_ = t.SendMarkup(ctx, chat, req, kb)
				}
			})
		})
	}
	return nil
}

// decideAnnouncement is an admin's Approve or Reject.
func (t *turn) decideAnnouncement(ctx context.Context, cq *models.CallbackQuery, id int64, approve bool) (string, error) {
	lang := t.lang
	if t.s.Role != store.RoleAdmin {
		t.Log().Warn("announcement decision by non-admin", "staff", t.s.ID, "broadcast", id)
		return t.Catalog().T(lang, "button_stale", nil), t.tx.Audit(ctx, t.s.ID, t.from.ID, "denied_announce_approval", 0, strconv.FormatInt(id, 10))
	}
	decided, err := t.tx.DecideBroadcast(ctx, id, t.s.ID, approve, t.Now())
	if err != nil {
		return "", err
	}
	if !decided {
		return t.Catalog().T(lang, "toast_announce_decided", nil), nil
	}
	bc, err := t.tx.Broadcast(ctx, id)
	if err != nil {
		return "", err
	}
	action, key, toast := "announce_approve", "announce_approved_author", "toast_announce_approved"
	if !approve {
		action, key, toast = "announce_reject", "announce_rejected_author", "toast_announce_rejected"
	}
	if err := t.tx.Audit(ctx, t.s.ID, t.from.ID, action, 0, "#"+strconv.FormatInt(id, 10)); err != nil {
		return "", err
	}
	if bc.AuthorChatID != 0 { // 0: composed at the web desk by a member without Telegram
		t.replyTo(bc.AuthorChatID, t.Catalog().T(bc.AuthorLang, key, map[string]any{"ID": id, "Name": bot.Escape(t.s.DisplayName)}), nil)
	}
	if m := cq.Message.Message; m != nil {
		chat, msg := m.Chat.ID, m.ID
		t.after(func() { dropKeyboard(t.Bot, chat, msg) })
	}
	if approve {
		t.after(workers(t.Bot).wake.notify)
	}
	return t.Catalog().T(lang, toast, nil), nil
}

// cancelAnnouncement stops broadcast id for its author or an admin.
func (t *turn) cancelAnnouncement(ctx context.Context, id int64) (bool, error) {
	lang := t.lang
	say := func(key string) { t.reply(t.Catalog().T(lang, key, map[string]any{"ID": id}), nil) }
	bc, err := t.tx.Broadcast(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && bc.Status == store.BroadcastDraft {
		say("announce_cannot_cancel")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if bc.AuthorStaffID != t.s.ID && t.s.Role != store.RoleAdmin {
		t.Log().Warn("cancel of another's announcement refused", "staff", t.s.ID, "broadcast", id)
		say("announce_cannot_cancel")
		return false, t.tx.Audit(ctx, t.s.ID, t.from.ID, "denied_announce_cancel", 0, "#"+strconv.FormatInt(id, 10))
	}
	done, err := t.tx.CancelBroadcast(ctx, id, t.s.ID, t.Now())
	if err != nil {
		return false, err
	}
	if !done {
		say("announce_cannot_cancel")
		return false, nil
	}
	if err := t.tx.Audit(ctx, t.s.ID, t.from.ID, "announce_cancel", 0, "#"+strconv.FormatInt(id, 10)); err != nil {
		return false, err
	}
	say("announce_cancelled")
	return true, nil
}

// dropKeyboard removes the buttons of a message after they were used.
func dropKeyboard(b *bot.Bot, chat int64, msg int) {
	b.Queue(chat, func(ctx context.Context) {
		err := b.Sender().Do(ctx, telegram.Target{ChatID: chat}, "editMessageReplyMarkup", func(ctx context.Context) error {
			_, err := b.API().EditMessageReplyMarkup(ctx, &tg.EditMessageReplyMarkupParams{ChatID: chat, MessageID: msg})
			return err
		})
		if err != nil {
			b.Log().Warn("removing buttons", "chat", chat, "err", err)
		}
	})
}

// listAnnouncements answers /announcements: the newest ones with their
// figures; officers see their own, admins everyone's.
func (t *turn) listAnnouncements(ctx context.Context) error {
	lang := t.lang
	author := t.s.ID
	if t.s.Role == store.RoleAdmin {
		author = 0
	}
	list, err := t.Store().RecentBroadcasts(ctx, author, 10)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		t.reply(t.Catalog().T(lang, "announce_list_empty", nil), nil)
		return nil
	}
	var sb strings.Builder
	sb.WriteString(t.Catalog().T(lang, "announce_list_header", nil))
	for _, l := range list {
		bc := l.Broadcast
		bc.AuthorLang = lang
		state := t.Catalog().T(lang, "announce_state_"+string(bc.Status), nil)
		if bc.Status == store.BroadcastCancelled {
			state = t.Catalog().T(lang, "announce_state_"+bc.CancelReason.String, nil)
		}
		total := l.Figures.Total
		if total == 0 {
			total = bc.Estimate
		}
		when := bc.CreatedAt
		if bc.ScheduledAt.Valid {
			when = bc.ScheduledAt.Time
		}
		sb.WriteString("\n\n")
		sb.WriteString(t.Catalog().T(lang, "announce_list_line", map[string]any{
			"ID": bc.ID, "When": whenText(t.Bot, lang, when), "State": state, "Author": bot.Escape(bc.AuthorName),
			"Sent": l.Sent, "Total": total, "Pending": l.Pending, "Unreachable": l.Unreachable, "Failed": l.Failed,
			"Snippet": html.EscapeString(snippet(bc.Body, 60)),
		}))
	}
	t.reply(sb.String(), nil)
	return nil
}

func snippet(s string, n int) string { return announce.Snippet(s, n) }
