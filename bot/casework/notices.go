package casework

import (
	"context"
	"fmt"
	"reentrybot/bot"
	"strconv"
)

// tellStaff posts an operational notice (HTML) in the staff group's
// General topic, for a channel's package that must reach the staff (Zalo:
// the OA needs an admin). Without a staff group it only logs.
func (b desk) tellStaff(ctx context.Context, html string) error {
	ref, err := b.Store().Setting(ctx, SettingStaffGroup)
	if err != nil {
		return err
	}
	if ref == "" {
		b.Log().Warn("no staff group to tell", "notice", html)
		return nil
	}
	group, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		return fmt.Errorf("setting %s: %w", SettingStaffGroup, err)
	}
	return b.sendGroup(ctx, group, 0, html, nil)
}

// ZaloNeedsAdmin is what tells the staff group that the Zalo OA stopped
// and how an admin connects it again (zalo.WithNotify).
func ZaloNeedsAdmin(b *bot.Bot) func(ctx context.Context, oa, why string) error {
	return func(ctx context.Context, oa, why string) error {
		d := desk{b}
		return d.tellStaff(ctx, b.Catalog().T(groupLang, "zalo_needs_admin", map[string]any{"OA": bot.Escape(oa), "Why": bot.Escape(why)}))
	}
}
