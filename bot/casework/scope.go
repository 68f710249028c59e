package casework

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
	"reentrybot/channel/telegram"
	"reentrybot/store"
)

// Staff groups by scope (issue 16): /setup binds a group to communes (or
// the province); a case opens its topic in the narrowest group covering its
// commune (store.GroupFor); only counsellors whose scope covers the whole
// group may sit in it (membership.go). The topic's card is short: the full
// profile is one audited button away, sent to the presser's private chat.

// mayJoin mirrors store's rule: the member handles cases and every case the
// group can show is in their scope.
func mayJoin(s store.Staff, g store.StaffGroup) bool {
	if !s.Active || !s.HandlesCases() {
		return false
	}
	if len(s.Communes) == 0 {
		return true
	}
	if len(g.Communes) == 0 {
		return false
	}
	for _, c := range g.Communes {
		if !slices.Contains(s.Communes, c) {
			return false
		}
	}
	return true
}

// parseScope reads /setup's argument: commune codes separated by spaces or
// commas; none means the province.
func parseScope(arg string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(arg, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// scopeText names a scope: the communes' names, or the province.
func (b desk) scopeText(ctx context.Context, tx *store.Tx, communes []string) (string, error) {
	if len(communes) == 0 {
		return b.Catalog().T(groupLang, "scope_province", nil), nil
	}
	names, err := tx.CommuneNames(ctx, communes)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(communes))
	for i, c := range communes {
		parts[i] = c
		if n := names[c]; n != "" {
			parts[i] = n
		}
	}
	return strings.Join(parts, ", "), nil
}

// bindGroup handles an admin's /setup in a forum group.
func (b desk) bindGroup(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, chat models.Chat, arg string) error {
	communes := parseScope(arg)
	var unknown []string
	for _, c := range communes {
		if _, err := tx.Commune(ctx, c); errors.Is(err, store.ErrNotFound) {
			unknown = append(unknown, c)
		} else if err != nil {
			return err
		}
	}
	if len(unknown) > 0 {
		b.groupReplyAfter(fx, chat.ID, 0, b.Catalog().T(groupLang, "setup_bad_commune", map[string]any{"Codes": bot.Escape(strings.Join(unknown, ", "))}), nil)
		return nil
	}
	g := store.StaffGroup{ChatID: chat.ID, Communes: communes}
	if !mayJoin(s, g) { // the admin would be the first one removed
		own, err := b.scopeText(ctx, tx, s.Communes)
		if err != nil {
			return err
		}
		b.groupReplyAfter(fx, chat.ID, 0, b.Catalog().T(groupLang, "setup_beyond_scope", map[string]any{"Scope": bot.Escape(own)}), nil)
		return nil
	}
	if err := tx.BindGroup(ctx, chat.ID, communes, s.ID); err != nil {
		return err
	}
	// The last group bound stays the setting older tools read (check, demo).
	if err := tx.SetSetting(ctx, SettingStaffGroup, strconv.FormatInt(chat.ID, 10)); err != nil {
		return err
	}
	if err := tx.NoteSeen(ctx, chat.ID, from.ID, from.FirstName); err != nil {
		return err
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "setup", 0, strconv.FormatInt(chat.ID, 10)+" "+strings.Join(communes, ",")); err != nil {
		return err
	}
	scope, err := b.scopeText(ctx, tx, communes)
	if err != nil {
		return err
	}
	b.groupReplyAfter(fx, chat.ID, 0, b.Catalog().T(groupLang, "setup_done_scope", map[string]any{"Scope": bot.Escape(scope)}), nil)
	group := chat.ID
	fx.Add(func() {
		if err := b.SetGroupMenu(b.SendContext(), group); err != nil {
			b.Log().Warn("staff group command menu", "chat", group, "err", err)
		}
	})
	fx.Add(func() {
		go func() {
			b.learnAdmins(b.SendContext(), group) // membership.go
			b.enforceGroup(b.SendContext(), group)
			b.sweep(b.SendContext())
		}()
	})
	return nil
}

// firstName is what the topic's card calls the person: the given name,
// which in a Vietnamese full name comes last ("Trần Thị Bích Ngọc": Ngọc).
func firstName(full string) string {
	f := strings.Fields(full)
	if len(f) == 0 {
		return "—"
	}
	return f[len(f)-1]
}

// topicCard is the card in a case's topic: number, kind, commune, status,
// the first name and the channel when not Telegram; nothing more.
func (b desk) topicCard(ctx context.Context, tx *store.Tx, c store.Case) (string, error) {
	p, err := tx.ProfileOf(ctx, c.PersonID)
	if err != nil {
		return "", err
	}
	lang := groupLang
	var sb strings.Builder
	sb.WriteString(b.Catalog().T(lang, "card_head", map[string]any{
		"ID": c.ID, "Kind": b.Catalog().T(lang, "kind_"+c.Kind, nil), "Commune": bot.Escape(c.CommuneName.String),
		"Opened": c.OpenedAt.In(b.Location()).Format("02/01/2006 15:04"), "Status": b.Catalog().T(lang, "status_"+string(c.Status), nil),
	}))
	sb.WriteString("\n" + b.Catalog().T(lang, "topic_card_name", map[string]any{"Name": bot.Escape(firstName(p.FullName.String))}))
	if key := "card_channel_" + c.PersonChannel; b.Catalog().Has(lang, key) { // where answers go, and the window there
		sb.WriteString("\n" + b.Catalog().T(lang, key, nil))
	}
	if c.Open() {
		sb.WriteString("\n\n" + b.Catalog().T(lang, "topic_card_hint", nil))
	}
	if !p.Reachable {
		sb.WriteString("\n\n" + b.Catalog().T(lang, "topic_returnee_blocked", nil))
	}
	return sb.String(), nil
}

// topicKeyboard is the card's buttons: take (or who took it) and close
// while open; the full profile always.
func (b desk) topicKeyboard(c store.Case) *models.InlineKeyboardMarkup {
	kb := &models.InlineKeyboardMarkup{}
	if c.Open() {
		take := b.Catalog().T(groupLang, "btn_take", nil)
		if c.AssigneeName.Valid {
			take = b.Catalog().T(groupLang, "btn_taken_by", map[string]any{"Name": c.AssigneeName.String})
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
			{Text: take, CallbackData: bot.CaseData("take", c.ID)},
			{Text: b.Catalog().T(groupLang, "btn_close", nil), CallbackData: bot.CaseData("close", c.ID)},
		})
	}
	kb.InlineKeyboard = append(kb.InlineKeyboard, []models.InlineKeyboardButton{
		{Text: b.Catalog().T(groupLang, "btn_profile", nil), CallbackData: bot.CaseData("profile", c.ID)},
	})
	return kb
}

// showProfile answers the card's "full profile" button: the full card goes
// to the presser's private chat, not the topic (others in the group are in
// scope too, but need not all see what one of them opened), and the view
// is audited.
func (b desk) showProfile(ctx context.Context, tx *store.Tx, fx *bot.Effects, s store.Staff, from models.User, c store.Case) (string, error) {
	lang := bot.StaffLang(from)
	if err := tx.Audit(ctx, s.ID, from.ID, "view_profile", c.ID, "card button"); err != nil {
		return "", err
	}
	card, err := b.caseCard(ctx, tx, lang, c)
	if err != nil {
		return "", err
	}
	b.caseReplyAfter(fx, c.ID, from.ID, card)
	return b.Catalog().T(lang, "toast_profile_sent", nil), nil
}

// caseReplyAfter sends a text about a case to a staff member's private
// chat after commit, and records it so that an erasure deletes it.
func (b desk) caseReplyAfter(fx *bot.Effects, caseID, chat int64, text string) {
	fx.Add(func() {
		b.Queue(chat, func(context.Context) {
			_ = b.sendAbout(b.SendContext(), nil, caseID, chat, text)
		})
	})
}

// sendAbout sends a text about a case to a private chat and records the
// message for erasure, in tx when the caller holds one.
func (b desk) sendAbout(ctx context.Context, tx *store.Tx, caseID, chat int64, text string) error {
	var id int
	err := b.Sender().Do(ctx, telegram.Target{ChatID: chat}, "sendMessage", func(ctx context.Context) error {
		m, err := b.API().SendMessage(ctx, &tg.SendMessageParams{
			ChatID: chat, Text: text, ParseMode: models.ParseModeHTML,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()},
		})
		if err == nil {
			id = m.ID
		}
		return err
	})
	if err != nil {
		b.Log().Warn("sending about a case", "case", caseID, "chat", chat, "err", err)
		return err
	}
	return b.recordPost(ctx, tx, caseID, chat, id)
}

func (b desk) recordPost(ctx context.Context, tx *store.Tx, caseID, chat int64, msg int) error {
	if msg == 0 {
		return nil
	}
	var err error
	if tx != nil {
		err = tx.RecordPost(ctx, caseID, chat, msg)
	} else {
		err = b.Store().RecordPost(ctx, caseID, chat, msg)
	}
	if err != nil {
		b.Log().Error("recording a message about a case: an erasure will not delete it", "case", caseID, "chat", chat, "err", err)
	}
	return err
}

// copyAbout is copyTo for a private chat: the header and the copy are
// recorded for erasure.
func (b desk) copyAbout(ctx context.Context, tx *store.Tx, caseID, chat int64, ev store.CaseEvent, header string) error {
	if err := b.sendAbout(ctx, tx, caseID, chat, header); err != nil {
		return err
	}
	var id int
	err := b.Sender().Do(ctx, telegram.Target{ChatID: chat}, "copyMessage", func(ctx context.Context) error {
		m, err := b.API().CopyMessage(ctx, &tg.CopyMessageParams{ChatID: chat, FromChatID: ev.SrcChatID.Int64, MessageID: int(ev.SrcMsgID.Int64)})
		if err == nil {
			id = m.ID
		}
		return err
	})
	if err != nil {
		return err
	}
	return b.recordPost(ctx, tx, caseID, chat, id)
}
