package casework_test

import (
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/store"
)

// Invite codes work once and not after they expire; the code is stored
// hashed, both outcomes are audited, and whoever opens a link is not
// made a returnee.
func TestInviteCodes(t *testing.T) {
	r := bottest.New(t, bottest.WithFastLimits())
	r.Run()
	code, hash := bot.NewInviteCode()
	if _, err := r.DB.CreateInvite(r.Ctx, store.RoleCounsellor, nil, "Anh Tú", hash, clock.System().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	oldCode, oldHash := bot.NewInviteCode()
	if _, err := r.DB.CreateInvite(r.Ctx, store.RoleCounsellor, nil, "Chị Hết", oldHash, clock.System().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	first, second, late := r.API.NewUser("Tú", "vi"), r.API.NewUser("Kẻ khác", "vi"), r.API.NewUser("Hết", "vi")
	r.WaitSeen(r.API.SendText(first, "/start "+bot.InvitePrefix+code))
	welcome := r.WaitText(first.ID, "Anh Tú")
	if help := r.Cat.T("vi", "staff_help", nil); !strings.Contains(welcome.RawText, help) {
		t.Errorf("the welcome %q has not the counsellor's help", welcome.Text)
	}
	r.WaitSeen(r.API.SendText(second, "/start "+bot.InvitePrefix+code))
	r.WaitSeen(r.API.SendText(late, "/start "+bot.InvitePrefix+oldCode))
	invalid := r.Cat.T("vi", "invite_invalid", nil)
	for _, u := range []botapitest.User{second, late} {
		if m := r.WaitBot(u.ID, 1); m[0].Text != invalid {
			t.Fatalf("user %s: %q, want the refusal", u.FirstName, m[0].Text)
		}
		if _, ok, _ := r.DB.StaffByTelegram(r.Ctx, u.ID); ok {
			t.Fatalf("user %s became staff", u.FirstName)
		}
	}
	if s, ok, _ := r.DB.StaffByTelegram(r.Ctx, first.ID); !ok || s.DisplayName != "Anh Tú" {
		t.Fatal("the first user did not become staff")
	}
	var stored []byte
	if err := r.X.Get(&stored, `SELECT code_hash FROM staff_invites ORDER BY id LIMIT 1`); err != nil || strings.Contains(string(stored), code) {
		t.Fatal("invite code not stored hashed")
	}
	if got := audited(r, "invite_redeemed", "counsellor"); got != 1 {
		t.Errorf("%d redemptions audited, want 1", got)
	}
	if got := audited(r, "invite_refused", ""); got != 2 {
		t.Errorf("%d refusals audited, want 2", got)
	}
	var people int
	if err := r.X.Get(&people, `SELECT count(*) FROM people`); err != nil || people != 0 {
		t.Errorf("%d people after invitation links, want none (%v)", people, err)
	}
}
