package casework

import (
	"context"
	"errors"

	"reentrybot/bot"
	"reentrybot/store"
)

// The codes themselves (bot.NewInviteCode, bot.HashInviteCode,
// bot.InviteLink) stay in bot: the server's staff command, the staff
// import, the web desk and the demo make and check them too.
func init() { bot.RegisterStartPayload(feature, bot.InvitePrefix, redeem) }

// redeem binds the account that opened an invitation link: welcome, the
// role's help and command menu; a used, expired or unknown code is
// refused and audited.
func redeem(ctx context.Context, b *bot.Bot, in *bot.Start) error {
	cat := b.Catalog()
	s, err := in.Tx.RedeemInvite(ctx, bot.HashInviteCode(in.Payload), in.From.ID, b.Now())
	if errors.Is(err, store.ErrInviteInvalid) {
		b.Log().Warn("invite refused", "user", in.From.ID)
		if err := in.Tx.Audit(ctx, 0, in.From.ID, "invite_refused", 0, ""); err != nil {
			return err
		}
		in.Reply(cat.T(in.Lang, "invite_invalid", nil))
		return nil
	}
	if err != nil {
		return err
	}
	if err := in.Tx.Audit(ctx, s.ID, in.From.ID, "invite_redeemed", 0, string(s.Role)); err != nil {
		return err
	}
	in.Reply(cat.T(in.Lang, "staff_welcome", map[string]any{
		"Name": bot.Escape(s.DisplayName), "Role": cat.T(in.Lang, "role_"+string(s.Role), nil),
	}) + "\n\n" + cat.T(in.Lang, bot.StaffHelp(s), nil))
	in.StaffMenu(s)
	return nil
}
