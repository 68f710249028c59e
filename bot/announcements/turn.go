// Package announcements holds what commune officers and admins tell every
// returnee: the composer in a staff member's private chat on Telegram
// (composer.go), approval by an admin, the workers that deliver at a pace
// shared by every process (delivery.go), the bridge from the web desk's
// composer (desk.go), and a returnee's /stop and the question after
// /start (stop.go). It is a feature of package bot (bot/features.go): it
// registers from init, and app imports it. The rules it shares with the
// desk are in package announce.
package announcements

import (
	"context"
	"database/sql"
	"strings"

	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
	"reentrybot/flows"
	"reentrybot/store"
)

// feature is the name the routes know announcements by.
const feature = "announcements"

func init() {
	for _, name := range []string{"announce", "announcements", "cancel"} {
		bot.RegisterStaffCommand(feature, name, func(ctx context.Context, b *bot.Bot, c *bot.StaffCommand) error {
			return newTurn(b, c).announceCommand(ctx, flows.Input{Kind: flows.InCommand, Command: c.Name, Arg: c.Arg})
		}, store.RoleOfficer, store.RoleAdmin) // in the menus of those who announce
	}
	bot.RegisterStaffInput(feature, staffInput)
	bot.RegisterRunner(feature, run)
	registerStop()
}

// turn is one staff action: its transaction, who acts, and what is done
// after commit.
type turn struct {
	*bot.Bot
	tx    *store.Tx
	s     store.Staff
	from  models.User
	lang  string
	after func(fn func()) // runs fn after commit
}

func newTurn(b *bot.Bot, c *bot.StaffCommand) *turn {
	return &turn{Bot: b, tx: c.Tx, s: c.Staff, from: c.From, lang: c.Lang, after: c.AfterCommit}
}

// reply sends text (HTML) to the acting staff member after commit.
func (t *turn) reply(html string, kb models.ReplyMarkup) { t.replyTo(t.from.ID, html, kb) }

// replyTo sends text (HTML) to a private chat after commit, in its order.
func (t *turn) replyTo(chat int64, html string, kb models.ReplyMarkup) {
	t.after(func() {
		t.Queue(chat, func(ctx context.Context) { _ = t.SendMarkup(ctx, chat, html, kb) })
	})
}

// staffInput takes what belongs to announcements in a staff member's
// private chat: the composer's buttons and typed answers, approvals and
// the cancel button (the commands come through announceCommand). handled
// false leaves the update to the case work.
func staffInput(ctx context.Context, b *bot.Bot, in *bot.StaffInput) (handled bool, err error) {
	t := newTurn(b, in.StaffCommand)
	lang := t.lang
	if cq := in.Callback; cq != nil {
		switch {
		case cq.Data == stopData:
			in.Toast(t.Catalog().T(lang, "announce_preview_toast", nil))
			return true, nil
		case strings.HasPrefix(cq.Data, "a:"):
			toast, err := t.announceCallback(ctx, cq)
			in.Toast(toast)
			return true, err
		}
		return false, nil
	}
	if in.Input.Kind == flows.InCommand {
		return false, nil // announceCommand, through the routes
	}
	say := func(key string, p map[string]any) { t.reply(t.Catalog().T(lang, key, p), nil) }
	if !canAnnounce(t.s) {
		return false, nil
	}
	d, ok, err := t.tx.Draft(ctx, t.s.ID, draftLife, t.Now())
	if err != nil || !ok {
		return false, err
	}
	text := in.Input.Text
	switch {
	case d.Step == stepContent:
		return true, t.draftContent(ctx, d, in.Message, in.Input)
	case d.Step == stepAudience && t.s.Role == store.RoleAdmin && in.Input.Kind == flows.InText:
		return true, t.searchCommunes(ctx, d, text)
	case d.Step == stepWhen && in.Input.Kind == flows.InText:
		at, key := parseWhen(text, t.Now(), t.Location())
		if key != "" {
			say(key, map[string]any{"Input": bot.Escape(text)})
			return true, nil
		}
		d.ScheduledAt = sql.NullTime{Time: at, Valid: true}
		return true, t.showConfirm(ctx, d)
	}
	say("announce_use_buttons", nil)
	return true, nil
}
