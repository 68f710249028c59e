package ops

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"reentrybot/bot"
	"reentrybot/store"
	"reentrybot/textfold"
)

// An admin in Telegram ends a member's access as the server's `staff
// revoke` and the web desk's staff page do (store.RevokeStaff: access,
// unused invites and desk sessions end, open cases go back to the queue;
// the sweep takes them out of the staff groups and their menus away).
// It asks once before doing it: "/revoke N" shows who, "/revoke N ok"
// revokes.
func init() {
	bot.RegisterStaffCommand(feature, "revoke", staffRevoke, store.RoleAdmin)
}

// confirmWords end "/revoke N …" to confirm, typed with or without marks.
var confirmWords = map[string]bool{"ok": true, "yes": true, "co": true, "xac nhan": true, "dong y": true}

func staffRevoke(ctx context.Context, b *bot.Bot, c *bot.StaffCommand) error {
	cat, s, lang := b.Catalog(), c.Staff, c.Lang
	if s.Role != store.RoleAdmin {
		c.Reply(cat.T(lang, "revoke_not_allowed", nil))
		return c.Tx.Audit(ctx, s.ID, c.From.ID, "denied_revoke", 0, c.Arg)
	}
	idText, rest, _ := strings.Cut(strings.TrimSpace(c.Arg), " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
	if err != nil || id <= 0 {
		return listStaff(ctx, b, c)
	}
	if id == s.ID {
		c.Reply(cat.T(lang, "revoke_self", nil))
		return nil
	}
	who, err := c.Tx.StaffByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && !who.Active {
		c.Reply(cat.T(lang, "revoke_unknown", map[string]any{"ID": id}))
		return nil
	} else if err != nil {
		return err
	}
	desc := map[string]any{"ID": id, "Name": bot.Escape(who.DisplayName), "Role": cat.T(lang, "role_"+string(who.Role), nil)}
	if !confirmWords[textfold.Fold(rest)] {
		c.Reply(cat.T(lang, "revoke_confirm", desc))
		return nil
	}
	released, err := c.Tx.RevokeStaff(ctx, id)
	if err != nil {
		return err
	}
	if err := c.Tx.Audit(ctx, s.ID, c.From.ID, "staff_revoke", 0, fmt.Sprintf("telegram #%d", id)); err != nil {
		return err
	}
	desc["Released"] = released
	c.Reply(cat.T(lang, "revoke_done", desc))
	return nil
}

// staffShown keeps the list within one Telegram message.
const staffShown = 60

// listStaff answers "/revoke" without a number: the active members, to
// pick one.
func listStaff(ctx context.Context, b *bot.Bot, c *bot.StaffCommand) error {
	cat, lang := b.Catalog(), c.Lang
	all, err := b.Store().ListStaff(ctx)
	if err != nil {
		return err
	}
	lines := []string{cat.T(lang, "revoke_usage", nil)}
	more := 0
	for _, m := range all {
		switch {
		case !m.Active:
		case len(lines) > staffShown:
			more++
		default:
			lines = append(lines, fmt.Sprintf("#%d %s – %s", m.ID, bot.Escape(m.DisplayName), cat.T(lang, "role_"+string(m.Role), nil)))
		}
	}
	if more > 0 {
		lines = append(lines, cat.T(lang, "revoke_more", map[string]any{"Count": more}))
	}
	c.Reply(strings.Join(lines, "\n"))
	return nil
}
