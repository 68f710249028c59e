package bot

import (
	"context"
	"fmt"
	"strconv"
)

// TellStaff posts an operational notice (HTML) in the staff group's
// General topic, for a channel's package that must reach the staff (Zalo:
// the OA needs an admin). Without a staff group it only logs.
func (b *Bot) TellStaff(ctx context.Context, html string) error {
	ref, err := b.db.Setting(ctx, SettingStaffGroup)
	if err != nil {
		return err
	}
	if ref == "" {
		b.log.Warn("no staff group to tell", "notice", html)
		return nil
	}
	group, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		return fmt.Errorf("setting %s: %w", SettingStaffGroup, err)
	}
	return b.sendGroup(ctx, group, 0, html, nil)
}

// ZaloNeedsAdmin tells the staff group that the Zalo OA stopped and how an
// admin connects it again (zalo.WithNotify).
func (b *Bot) ZaloNeedsAdmin(ctx context.Context, oa, why string) error {
	return b.TellStaff(ctx, b.cat.T(groupLang, "zalo_needs_admin", map[string]any{"OA": escape(oa), "Why": escape(why)}))
}
