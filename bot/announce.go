package bot

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
	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
	"reentrybot/textfold"
)

// Composer steps, kept in broadcasts.step of the draft.
const (
	stepContent  = "content"  // waiting for the text, photo or document
	stepAudience = "audience" // which communes
	stepInterest = "interest" // who among their people
	stepWhen     = "when"     // now, tomorrow 08:00 or a typed time
	stepConfirm  = "confirm"  // preview shown, waiting for Send
)

// draftLife is how long an untouched draft keeps catching what its author
// types; after it the author's messages go to their case work again.
const draftLife = announce.DraftLife

// Callback data of announcement buttons: "a:<action>:<broadcast>[:<arg>]".
func announceData(action string, id int64, arg ...string) string {
	return buttonData("a", action, id, arg...)
}

func parseAnnounceData(data string) (string, int64, string, bool) { return parseButtonData("a", data) }

// canAnnounce: commune officers (of their communes) and admins.
func canAnnounce(s store.Staff) bool { return announce.Allowed(s) }

// The announcements' commands (staff only), and a returnee's /stop and
// answers to "Nhận lại thông báo?" (routes.go).
func init() {
	cmd := command{feature: "announce", staffOnly: true, staff: (*Bot).announceCommand}
	routes.command("announce", cmd)
	routes.command("announcements", cmd)
	routes.command("cancel", cmd)
	choice := func(c announceChoice) othersFn {
		return func(b *Bot, ctx context.Context, upd *models.Update, from models.User, _ flows.Input) error {
			return b.handleAnnounceChoice(ctx, upd, from, c)
		}
	}
	routes.command("stop", command{feature: "announce", others: choice(announceStop)})
	routes.button(stopData, button{feature: "announce", others: choice(announceStop)})
	routes.button(backOnData, button{feature: "announce", others: choice(announceBackOn)})
	routes.button(keepOffData, button{feature: "announce", others: choice(announceKeepOff)})
}

// announceCommand answers /announce, /announcements and /cancel in a staff
// member's private chat.
func (b *Bot) announceCommand(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, _ *models.Message, in flows.Input) error {
	lang := staffLang(from)
	say := func(key string, p map[string]any) { b.replyAfter(fx, from.ID, b.cat.T(lang, key, p), nil) }
	if !canAnnounce(s) {
		b.log.Warn("announcement command refused", "staff", s.ID, "command", in.Command)
		say("announce_not_allowed", nil)
		return tx.Audit(ctx, s.ID, from.ID, "denied_announce", 0, in.Command)
	}
	switch in.Command {
	case "announce":
		if _, err := tx.NewDraft(ctx, s.ID, from.ID, lang); err != nil {
			return err
		}
		say("announce_ask_content", map[string]any{"MaxText": maxAnnounceText, "MaxCaption": maxAnnounceCaption})
		return nil
	case "announcements":
		return b.listAnnouncements(ctx, fx, s, from)
	}
	if in.Arg == "" {
		dropped, err := tx.DiscardDraft(ctx, s.ID)
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
	_, err = b.cancelAnnouncement(ctx, tx, fx, s, from, id)
	return err
}

// announceHook takes what belongs to announcements in a staff member's
// private chat: the composer's buttons and typed answers, approvals and the
// cancel button (the commands come through announceCommand). handled false leaves
// the update to the case work.
func (b *Bot) announceHook(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, m *models.Message, in flows.Input, cq *models.CallbackQuery) (handled bool, toast string, err error) {
	lang := staffLang(from)
	if cq != nil {
		switch {
		case cq.Data == stopData:
			return true, b.cat.T(lang, "announce_preview_toast", nil), nil
		case strings.HasPrefix(cq.Data, "a:"):
			toast, err = b.announceCallback(ctx, tx, fx, s, from, cq)
			return true, toast, err
		}
		return false, "", nil
	}
	if in.Kind == flows.InCommand {
		return false, "", nil // announceCommand, through routes.go
	}
	say := func(key string, p map[string]any) { b.replyAfter(fx, from.ID, b.cat.T(lang, key, p), nil) }
	if !canAnnounce(s) {
		return false, "", nil
	}
	d, ok, err := tx.Draft(ctx, s.ID, draftLife, b.now())
	if err != nil || !ok {
		return false, "", err
	}
	switch {
	case d.Step == stepContent:
		return true, "", b.draftContent(ctx, tx, fx, s, from, d, m, in)
	case d.Step == stepAudience && s.Role == store.RoleAdmin && in.Kind == flows.InText:
		return true, "", b.searchCommunes(ctx, tx, fx, from, d, in.Text)
	case d.Step == stepWhen && in.Kind == flows.InText:
		at, key := parseWhen(in.Text, b.now(), b.loc)
		if key != "" {
			say(key, map[string]any{"Input": escape(in.Text)})
			return true, "", nil
		}
		d.ScheduledAt = sql.NullTime{Time: at, Valid: true}
		return true, "", b.showConfirm(ctx, tx, fx, s, from, d)
	}
	say("announce_use_buttons", nil)
	return true, "", nil
}

// draftContent takes the announcement's text, or a photo or document with
// its caption (kept by file_id: Telegram sends it again without upload).
func (b *Bot) draftContent(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, d store.Broadcast, m *models.Message, in flows.Input) error {
	lang := staffLang(from)
	say := func(key string, p map[string]any) { b.replyAfter(fx, from.ID, b.cat.T(lang, key, p), nil) }
	var body string
	limit := maxAnnounceText
	d.MediaKind, d.MediaFileID = sql.NullString{}, sql.NullString{}
	switch {
	case in.Kind == flows.InText:
		body = in.Text
	case m != nil && len(m.Photo) > 0:
		biggest := m.Photo[len(m.Photo)-1]
		d.MediaKind, d.MediaFileID = sql.NullString{String: "photo", Valid: true}, sql.NullString{String: biggest.FileID, Valid: true}
		body, limit = CleanText(m.Caption), maxAnnounceCaption
	case m != nil && m.Document != nil:
		d.MediaKind, d.MediaFileID = sql.NullString{String: "document", Valid: true}, sql.NullString{String: m.Document.FileID, Valid: true}
		body, limit = CleanText(m.Caption), maxAnnounceCaption
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
	if s.Role == store.RoleOfficer && len(s.Communes) == 1 {
		d.ProvinceWide, d.Communes = false, []string{s.Communes[0]}
		return b.askInterest(ctx, tx, fx, s, from, d)
	}
	d.Step = stepAudience
	if err := tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{}
	if s.Role == store.RoleAdmin {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: b.cat.T(lang, "btn_announce_province", nil), CallbackData: announceData("aud", d.ID, "all")},
		})
		b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_ask_audience_admin", nil), kb)
		return nil
	}
	names, err := tx.CommuneNames(ctx, s.Communes)
	if err != nil {
		return err
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
		{Text: b.cat.T(lang, "btn_announce_all_mine", nil), CallbackData: announceData("aud", d.ID, "all")},
	})
	for _, code := range s.Communes {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: communeLabel(names, code), CallbackData: announceData("com", d.ID, code)},
		})
	}
	b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_ask_audience_officer", nil), kb)
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
func (b *Bot) searchCommunes(ctx context.Context, tx *store.Tx, fx *effects, from models.User, d store.Broadcast, q string) error {
	lang := staffLang(from)
	found, err := tx.SearchCommunes(ctx, textfold.Fold(q), 8)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_no_commune", map[string]any{"Query": escape(q)}), nil)
		return nil
	}
	kb := &models.InlineKeyboardMarkup{}
	for _, c := range found {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: c.Name, CallbackData: announceData("com", d.ID, c.Code)},
		})
	}
	b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_pick_commune", nil), kb)
	return nil
}

// askInterest saves the audience and asks which of its people: each
// button shows how many it would reach now.
func (b *Bot) askInterest(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, d store.Broadcast) error {
	lang := staffLang(from)
	d.Step = stepInterest
	if err := tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{}
	for i, interest := range store.Interests {
		a := d.Audience()
		a.Interest = interest
		n, err := tx.CountAudience(ctx, a)
		if err != nil {
			return err
		}
		shown, _ := shownCount(s.Role, n)
		btn := models.InlineKeyboardButton{
			Text:         b.cat.T(lang, "btn_interest_"+interest, map[string]any{"N": shown}),
			CallbackData: announceData("int", d.ID, interest),
		}
		if i%2 == 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{btn})
		} else {
			kb.InlineKeyboard[len(kb.InlineKeyboard)-1] = append(kb.InlineKeyboard[len(kb.InlineKeyboard)-1], btn)
		}
	}
	where, err := b.whereText(ctx, tx, lang, d)
	if err != nil {
		return err
	}
	b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_ask_interest", map[string]any{"Where": where}), kb)
	return nil
}

func (b *Bot) askWhen(ctx context.Context, tx *store.Tx, fx *effects, from models.User, d store.Broadcast) error {
	lang := staffLang(from)
	d.Step, d.ScheduledAt = stepWhen, sql.NullTime{}
	if err := tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: b.cat.T(lang, "btn_when_now", nil), CallbackData: announceData("when", d.ID, "now")},
		{Text: b.cat.T(lang, "btn_when_tomorrow", nil), CallbackData: announceData("when", d.ID, "tomorrow")},
	}}}
	b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_ask_when", nil), kb)
	return nil
}

// showConfirm sends the preview, exactly as recipients will see it, and
// the summary with the number of recipients and the Send button.
func (b *Bot) showConfirm(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, d store.Broadcast) error {
	lang := staffLang(from)
	n, err := tx.CountAudience(ctx, d.Audience())
	if err != nil {
		return err
	}
	if n == 0 {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_nobody", nil), nil)
		return b.askInterest(ctx, tx, fx, s, from, d)
	}
	d.Step = stepConfirm
	if err := tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	summary, err := b.summaryText(ctx, tx, lang, "announce_summary", s.Role, d, n)
	if err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: b.cat.T(lang, "btn_announce_send", nil), CallbackData: announceData("go", d.ID)},
		{Text: b.cat.T(lang, "btn_announce_discard", nil), CallbackData: announceData("drop", d.ID)},
	}}}
	if n > b.bopts().ApprovalOver && s.Role != store.RoleAdmin {
		summary += "\n\n" + b.cat.T(lang, "announce_needs_approval", map[string]any{"Over": b.bopts().ApprovalOver})
	}
	chat, intro := from.ID, b.cat.T(lang, "announce_preview_intro", nil)
	fx.add(func() {
		b.outbox.submit(b.sendCtx, chat, func(ctx context.Context) error {
			if b.sendText(b.sendCtx, chat, intro, nil) != nil || b.previewAnnouncement(b.sendCtx, chat, lang, d) != nil {
				return nil
			}
			_ = b.sendText(b.sendCtx, chat, summary, kb)
			return nil
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
func (b *Bot) summaryText(ctx context.Context, tx *store.Tx, lang, key string, role store.Role, d store.Broadcast, n int) (string, error) {
	where, err := b.whereText(ctx, tx, lang, d)
	if err != nil {
		return "", err
	}
	when := b.cat.T(lang, "announce_when_now", nil)
	if d.ScheduledAt.Valid {
		when = b.whenText(lang, d.ScheduledAt.Time)
	}
	shown, plural := shownCount(role, n) // the summary is HTML: "<" is escaped
	text := b.cat.T(lang, key, map[string]any{
		"ID": d.ID, "Count": plural, "People": html.EscapeString(shown), "Where": where, "Who": b.cat.T(lang, "interest_"+d.Interest, nil),
		"When": when, "Author": escape(d.AuthorName),
	})
	by, err := b.channelsText(ctx, tx, lang, role, d)
	if err != nil || by == "" {
		return text, err
	}
	return text + "\n" + by, nil
}

// reacher is a channel that can tell how an announcement sent now would
// reach its people (Zalo: message inside the window, template, or not).
type reacher interface {
	Preview(ctx context.Context, refs []string) (channel.Reach, error)
}

// channelsText says how many recipients each channel has, and how a
// channel with rules of its own would reach them; "" when everyone is on
// Telegram. Every figure below 5 reads "< 5" to an officer.
func (b *Bot) channelsText(ctx context.Context, tx *store.Tx, lang string, role store.Role, d store.Broadcast) (string, error) {
	counts, err := announce.ByChannel(ctx, tx, d.Audience(), b.Reacher)
	if err != nil || len(counts) == 0 || (len(counts) == 1 && counts[0].Channel == "telegram") {
		return "", err
	}
	show := func(n int) string { v, _ := shownCount(role, n); return html.EscapeString(v) }
	var parts []string
	for _, c := range counts {
		part := b.cat.T(lang, "announce_on_channel", map[string]any{"Channel": channelLabel(c.Channel), "People": show(c.People)})
		if c.ReachErr != nil {
			b.log.Warn("previewing an announcement's reach", "channel", c.Channel, "err", c.ReachErr)
		} else if how := c.Reach; how != nil {
			part += " " + b.cat.T(lang, "announce_reach_how", map[string]any{
				"Messages": show(how.Messages), "Templates": show(how.Templates), "Skipped": show(how.Skipped)})
		}
		parts = append(parts, part)
	}
	return b.cat.T(lang, "announce_by_channel", map[string]any{"List": strings.Join(parts, "; ")}), nil
}

// channelLabel is a channel's name as staff know it.
func channelLabel(name string) string { return announce.ChannelLabel(name) }

// whereText names the audience's communes (the first few), or the province.
func (b *Bot) whereText(ctx context.Context, tx *store.Tx, lang string, d store.Broadcast) (string, error) {
	if d.ProvinceWide {
		return b.cat.T(lang, "announce_where_province", nil), nil
	}
	names, err := tx.CommuneNames(ctx, d.Communes)
	if err != nil {
		return "", err
	}
	var parts []string
	for i, c := range d.Communes {
		if i == 5 {
			parts = append(parts, "+"+strconv.Itoa(len(d.Communes)-5))
			break
		}
		parts = append(parts, escape(communeLabel(names, c)))
	}
	return strings.Join(parts, ", "), nil
}

// parseWhen reads "dd/mm hh:mm" (or "dd/mm/yyyy hh:mm") in loc. Without a
// year it is the next such moment. key names the complaint when it fails.
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, string) {
	return announce.ParseWhen(s, now, loc)
}

// announceCallback handles the announcement buttons of staff.
func (b *Bot) announceCallback(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, cq *models.CallbackQuery) (string, error) {
	lang := staffLang(from)
	stale := b.cat.T(lang, "button_stale", nil)
	action, id, arg, ok := parseAnnounceData(cq.Data)
	if !ok {
		return "", tx.Audit(ctx, s.ID, from.ID, "denied_callback", 0, "malformed announce")
	}
	switch action {
	case "ok", "no":
		return b.decideAnnouncement(ctx, tx, fx, s, from, cq, id, action == "ok")
	case "cancel":
		if !canAnnounce(s) {
			return stale, tx.Audit(ctx, s.ID, from.ID, "denied_announce", 0, "cancel")
		}
		done, err := b.cancelAnnouncement(ctx, tx, fx, s, from, id)
		if err != nil || !done {
			return "", err
		}
		return b.cat.T(lang, "toast_announce_cancelled", nil), nil
	}
	if !canAnnounce(s) {
		return stale, tx.Audit(ctx, s.ID, from.ID, "denied_announce", 0, action)
	}
	d, ok, err := tx.Draft(ctx, s.ID, draftLife, b.now())
	if err != nil {
		return "", err
	}
	if !ok || d.ID != id {
		return stale, nil
	}
	switch {
	case action == "drop":
		if _, err := tx.DiscardDraft(ctx, s.ID); err != nil {
			return "", err
		}
		b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_discarded", nil), nil)
		return "", nil
	case action == "aud" && d.Step == stepAudience:
		d.ProvinceWide, d.Communes = s.Role == store.RoleAdmin, nil
		if s.Role != store.RoleAdmin {
			d.Communes = s.Communes
		}
		return "", b.askInterest(ctx, tx, fx, s, from, d)
	case action == "com" && d.Step == stepAudience:
		if s.Role != store.RoleAdmin && !s.InScope(arg) {
			b.log.Warn("announcement to a commune out of scope", "staff", s.ID, "commune", arg)
			return b.cat.T(lang, "announce_not_in_scope", nil), tx.Audit(ctx, s.ID, from.ID, "denied_announce_scope", 0, arg)
		}
		if _, err := tx.Commune(ctx, arg); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return stale, nil
			}
			return "", err
		}
		if s.Role != store.RoleAdmin {
			d.ProvinceWide, d.Communes = false, []string{arg}
			return "", b.askInterest(ctx, tx, fx, s, from, d)
		}
		return "", b.addCommune(ctx, tx, fx, from, d, arg)
	case action == "fin" && d.Step == stepAudience && len(d.Communes) > 0:
		return "", b.askInterest(ctx, tx, fx, s, from, d)
	case action == "int" && d.Step == stepInterest && validInterest(arg):
		d.Interest = arg
		return "", b.askWhen(ctx, tx, fx, from, d)
	case action == "when" && d.Step == stepWhen && (arg == "now" || arg == "tomorrow"):
		d.ScheduledAt = sql.NullTime{}
		if arg == "tomorrow" {
			t := b.now().In(b.loc)
			d.ScheduledAt = sql.NullTime{Time: time.Date(t.Year(), t.Month(), t.Day()+1, 8, 0, 0, 0, b.loc), Valid: true}
		}
		return "", b.showConfirm(ctx, tx, fx, s, from, d)
	case action == "go" && d.Step == stepConfirm:
		return b.confirmAnnouncement(ctx, tx, fx, s, from, d)
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
func (b *Bot) addCommune(ctx context.Context, tx *store.Tx, fx *effects, from models.User, d store.Broadcast, code string) error {
	lang := staffLang(from)
	found := false
	for _, c := range d.Communes {
		found = found || c == code
	}
	if !found {
		d.Communes = append(d.Communes, code)
	}
	d.ProvinceWide = false
	if err := tx.SaveDraft(ctx, d); err != nil {
		return err
	}
	where, err := b.whereText(ctx, tx, lang, d)
	if err != nil {
		return err
	}
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: b.cat.T(lang, "btn_announce_done", nil), CallbackData: announceData("fin", d.ID)},
	}}}
	b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_chosen", map[string]any{"Where": where}), kb)
	return nil
}

// inScope checks the audience against the author's area once more: an
// officer reaches only their own communes, never the province.
func inScope(s store.Staff, d store.Broadcast) bool { return announce.InScope(s, d) }

// confirmAnnouncement schedules the broadcast, or sends it to the admins
// for approval when it reaches more than ApprovalOver people.
func (b *Bot) confirmAnnouncement(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, d store.Broadcast) (string, error) {
	lang := staffLang(from)
	if !inScope(s, d) {
		b.log.Warn("announcement out of scope at confirmation", "staff", s.ID, "broadcast", d.ID)
		return b.cat.T(lang, "announce_not_in_scope", nil), tx.Audit(ctx, s.ID, from.ID, "denied_announce_scope", 0, strings.Join(d.Communes, ","))
	}
	n, err := tx.CountAudience(ctx, d.Audience())
	if err != nil {
		return "", err
	}
	if n == 0 {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_nobody", nil), nil)
		return "", b.askInterest(ctx, tx, fx, s, from, d)
	}
	now := b.now()
	st := announce.Status(s.Role, n, b.bopts().ApprovalOver)
	if err := tx.ConfirmBroadcast(ctx, d.ID, st, n, now); err != nil {
		return "", err
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "announce_"+string(st), 0, fmt.Sprintf("#%d to %d", d.ID, n)); err != nil {
		return "", err
	}
	if st == store.BroadcastScheduled {
		when := b.cat.T(lang, "announce_when_now", nil)
		if d.ScheduledAt.Valid {
			when = b.whenText(lang, d.ScheduledAt.Time)
		}
		b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_scheduled", map[string]any{"ID": d.ID, "When": when}), nil)
		fx.add(b.bcast.wake.notify)
		return b.cat.T(lang, "toast_announce_confirmed", nil), nil
	}
	if err := b.askApproval(ctx, tx, fx, d, n); err != nil {
		return "", err
	}
	b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_sent_for_approval", map[string]any{"ID": d.ID, "Over": b.bopts().ApprovalOver}), nil)
	return b.cat.T(lang, "toast_announce_confirmed", nil), nil
}

// askApproval sends broadcast d, waiting for approval, to every admin
// with a Telegram account: the preview and Approve / Reject.
func (b *Bot) askApproval(ctx context.Context, tx *store.Tx, fx *effects, d store.Broadcast, n int) error {
	admins, err := tx.Admins(ctx)
	if err != nil {
		return err
	}
	if len(admins) == 0 {
		b.log.Warn("announcement waits for approval but no admin has an account", "broadcast", d.ID)
	}
	for _, a := range admins {
		chat := a.TelegramUserID.Int64
		alang := i18n.Default // an admin's language is not stored; the staff texts default to Vietnamese
		req, err := b.summaryText(ctx, tx, alang, "announce_approval_request", store.RoleAdmin, d, n)
		if err != nil {
			return err
		}
		kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: b.cat.T(alang, "btn_approve", nil), CallbackData: announceData("ok", d.ID)},
			{Text: b.cat.T(alang, "btn_reject", nil), CallbackData: announceData("no", d.ID)},
		}}}
		fx.add(func() {
			b.outbox.submit(b.sendCtx, chat, func(ctx context.Context) error {
				if b.previewAnnouncement(b.sendCtx, chat, alang, d) == nil {
					_ = b.sendText(b.sendCtx, chat, req, kb)
				}
				return nil
			})
		})
	}
	return nil
}

// decideAnnouncement is an admin's Approve or Reject.
func (b *Bot) decideAnnouncement(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, cq *models.CallbackQuery, id int64, approve bool) (string, error) {
	lang := staffLang(from)
	if s.Role != store.RoleAdmin {
		b.log.Warn("announcement decision by non-admin", "staff", s.ID, "broadcast", id)
		return b.cat.T(lang, "button_stale", nil), tx.Audit(ctx, s.ID, from.ID, "denied_announce_approval", 0, strconv.FormatInt(id, 10))
	}
	decided, err := tx.DecideBroadcast(ctx, id, s.ID, approve, b.now())
	if err != nil {
		return "", err
	}
	if !decided {
		return b.cat.T(lang, "toast_announce_decided", nil), nil
	}
	bc, err := tx.Broadcast(ctx, id)
	if err != nil {
		return "", err
	}
	action, key, toast := "announce_approve", "announce_approved_author", "toast_announce_approved"
	if !approve {
		action, key, toast = "announce_reject", "announce_rejected_author", "toast_announce_rejected"
	}
	if err := tx.Audit(ctx, s.ID, from.ID, action, 0, "#"+strconv.FormatInt(id, 10)); err != nil {
		return "", err
	}
	if bc.AuthorChatID != 0 { // 0: composed at the web desk by a member without Telegram
		b.replyAfter(fx, bc.AuthorChatID, b.cat.T(bc.AuthorLang, key, map[string]any{"ID": id, "Name": escape(s.DisplayName)}), nil)
	}
	if m := cq.Message.Message; m != nil {
		chat, msg := m.Chat.ID, m.ID
		fx.add(func() { b.dropKeyboard(chat, msg) })
	}
	if approve {
		fx.add(b.bcast.wake.notify)
	}
	return b.cat.T(lang, toast, nil), nil
}

// cancelAnnouncement stops broadcast id for its author or an admin.
func (b *Bot) cancelAnnouncement(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, id int64) (bool, error) {
	lang := staffLang(from)
	say := func(key string) { b.replyAfter(fx, from.ID, b.cat.T(lang, key, map[string]any{"ID": id}), nil) }
	bc, err := tx.Broadcast(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && bc.Status == store.BroadcastDraft {
		say("announce_cannot_cancel")
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if bc.AuthorStaffID != s.ID && s.Role != store.RoleAdmin {
		b.log.Warn("cancel of another's announcement refused", "staff", s.ID, "broadcast", id)
		say("announce_cannot_cancel")
		return false, tx.Audit(ctx, s.ID, from.ID, "denied_announce_cancel", 0, "#"+strconv.FormatInt(id, 10))
	}
	done, err := tx.CancelBroadcast(ctx, id, s.ID, b.now())
	if err != nil {
		return false, err
	}
	if !done {
		say("announce_cannot_cancel")
		return false, nil
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "announce_cancel", 0, "#"+strconv.FormatInt(id, 10)); err != nil {
		return false, err
	}
	say("announce_cancelled")
	return true, nil
}

// dropKeyboard removes the buttons of a message after they were used.
func (b *Bot) dropKeyboard(chat int64, msg int) {
	b.outbox.submit(b.sendCtx, chat, func(ctx context.Context) error {
		err := b.send.Do(b.sendCtx, Target{ChatID: chat}, "editMessageReplyMarkup", func(ctx context.Context) error {
			_, err := b.api.EditMessageReplyMarkup(ctx, &tg.EditMessageReplyMarkupParams{ChatID: chat, MessageID: msg})
			return err
		})
		if err != nil {
			b.log.Warn("removing buttons", "chat", chat, "err", err)
		}
		return nil
	})
}

// listAnnouncements answers /announcements: the newest ones with their
// figures; officers see their own, admins everyone's.
func (b *Bot) listAnnouncements(ctx context.Context, fx *effects, s store.Staff, from models.User) error {
	lang := staffLang(from)
	author := s.ID
	if s.Role == store.RoleAdmin {
		author = 0
	}
	list, err := b.db.RecentBroadcasts(ctx, author, 10)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "announce_list_empty", nil), nil)
		return nil
	}
	var sb strings.Builder
	sb.WriteString(b.cat.T(lang, "announce_list_header", nil))
	for _, l := range list {
		bc := l.Broadcast
		bc.AuthorLang = lang
		state := b.cat.T(lang, "announce_state_"+string(bc.Status), nil)
		if bc.Status == store.BroadcastCancelled {
			state = b.cat.T(lang, "announce_state_"+bc.CancelReason.String, nil)
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
		sb.WriteString(b.cat.T(lang, "announce_list_line", map[string]any{
			"ID": bc.ID, "When": b.whenText(lang, when), "State": state, "Author": escape(bc.AuthorName),
			"Sent": l.Sent, "Total": total, "Pending": l.Pending, "Unreachable": l.Unreachable, "Failed": l.Failed,
			"Snippet": html.EscapeString(snippet(bc.Body, 60)),
		}))
	}
	b.replyAfter(fx, from.ID, sb.String(), nil)
	return nil
}

func snippet(s string, n int) string { return announce.Snippet(s, n) }

// announceChoice is what a returnee asked of announcements.
type announceChoice int

const (
	announceStop    announceChoice = iota // /stop, or the button under an announcement
	announceBackOn                        // "Có" under the question /start asks
	announceKeepOff                       // "Không" under it
)

// Callback data of the answers to "Nhận lại thông báo?".
const (
	backOnData  = "n:on"
	keepOffData = "n:off"
)

// handleAnnounceChoice turns a returnee's announcements off, or back on,
// or leaves them off, as they asked. Only announcements: reminders of
// their own appointments and messages about their cases go on.
func (b *Bot) handleAnnounceChoice(ctx context.Context, upd *models.Update, from models.User, choice announceChoice) error {
	lang := i18n.Normalize(from.LanguageCode)
	fx := &effects{}
	toast := ""
	dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
		ref := strconv.FormatInt(from.ID, 10)
		p, err := tx.TouchPerson(ctx, "telegram", ref, ref, lang)
		if err != nil {
			return err
		}
		lang = p.Language
		key := "announce_still_off"
		switch choice {
		case announceStop:
			key = "announce_stopped"
			if upd.CallbackQuery != nil {
				toast = b.cat.T(lang, "toast_announce_stopped", nil)
			}
			_, err = tx.SetAnnouncementsOff(ctx, p.ID, true)
		case announceBackOn:
			key = "announce_back_on"
			_, err = tx.SetAnnouncementsOff(ctx, p.ID, false)
		}
		if err != nil {
			return err
		}
		if choice != announceStop && upd.CallbackQuery != nil {
			b.dropButtonsAfter(fx, upd.CallbackQuery)
		}
		b.replyAfter(fx, from.ID, b.cat.T(lang, key, nil), nil)
		return nil
	})
	if err != nil {
		return err
	}
	if cq := upd.CallbackQuery; cq != nil {
		b.answerCallbackText(ctx, cq.ID, toast)
	}
	if !dup {
		fx.run()
		b.Metrics.Updates.WithLabelValues(updateType(upd), "handled").Inc()
	}
	return nil
}

// askAnnouncementsBackOn asks a person who turned announcements off and
// sends /start whether they want them again. /start alone must not turn
// them on: Telegram's "Restart" sends it too, without the person meaning
// announcements (issue 16, item 5).
func (b *Bot) askAnnouncementsBackOn(fx *effects, p store.Person, chat int64) {
	kb := &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: b.cat.T(p.Language, "btn_yes", nil), CallbackData: backOnData},
		{Text: b.cat.T(p.Language, "btn_no", nil), CallbackData: keepOffData},
	}}}
	b.replyAfter(fx, chat, b.cat.T(p.Language, "announce_ask_back_on", nil), kb)
}
