package casework

import (
	"context"
	"strconv"
	"strings"
	"time"

	"reentrybot/bot"
	"reentrybot/store"
)

// feature is the name these register under: the desk's, as the rest of
// the case work in bot (a second claim to a name panics at init).
const feature = "desk"

func init() {
	// In the menus of those who handle cases.
	bot.RegisterStaffCommand(feature, "queue", queue, store.RoleCounsellor, store.RoleAdmin)
	bot.RegisterStaffCommand(feature, "mine", queue, store.RoleCounsellor, store.RoleAdmin)
}

// queue answers /queue (open cases in the staff member's scope) and /mine
// (those they took), oldest first; an officer handles no cases.
func queue(ctx context.Context, b *bot.Bot, c *bot.StaffCommand) error {
	cat, lang := b.Catalog(), c.Lang
	if !c.Staff.HandlesCases() {
		c.Reply(cat.T(lang, "officer_no_cases", nil))
		return nil
	}
	mine := c.Name == "mine"
	cases, err := b.Store().OpenCases(ctx, c.Staff, mine)
	if err != nil {
		return err
	}
	if err := c.Tx.Audit(ctx, c.Staff.ID, c.From.ID, c.Name, 0, strconv.Itoa(len(cases))); err != nil {
		return err
	}
	if len(cases) == 0 {
		c.Reply(cat.T(lang, c.Name+"_empty", nil))
		return nil
	}
	var sb strings.Builder
	sb.WriteString(cat.T(lang, c.Name+"_header", map[string]any{"Count": len(cases)}))
	now := b.Now()
	for _, k := range cases {
		sb.WriteString("\n")
		sb.WriteString(cat.T(lang, "queue_line", map[string]any{
			"ID": k.ID, "Kind": cat.T(lang, "kind_"+k.Kind, nil), "Commune": bot.Escape(k.CommuneName.String),
			"Status": cat.T(lang, "status_"+string(k.Status), nil), "Age": age(b, lang, now.Sub(k.OpenedAt)),
			"Who": bot.Escape(k.AssigneeName.String),
		}))
	}
	sb.WriteString("\n\n" + cat.T(lang, "queue_hint", nil))
	c.Reply(sb.String())
	return nil
}

// age says how long ago, coarsely.
func age(b *bot.Bot, lang string, d time.Duration) string {
	cat := b.Catalog()
	switch {
	case d < time.Hour:
		return cat.T(lang, "age_minutes", map[string]any{"Count": int(d.Minutes())})
	case d < 48*time.Hour:
		return cat.T(lang, "age_hours", map[string]any{"Count": int(d.Hours())})
	}
	return cat.T(lang, "age_days", map[string]any{"Count": int(d.Hours() / 24)})
}
