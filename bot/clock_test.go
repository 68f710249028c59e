package bot_test

import (
	"testing"
	"time"

	"reentrybot/clock"
	"reentrybot/report"
)

// One clock (issue 12): a person who registers on the bot's clock is
// counted in that month after the clock has moved 40 days on, whatever
// day the database or the machine thinks it is.
func TestRegistrationMonthFollowsTheBotClock(t *testing.T) {
	registered := time.Date(2026, 11, 20, 9, 0, 0, 0, hanoi)
	fc := clock.NewFake(registered)
	r := newRig(t, withFastLimits(), withClock(fc.Now))
	r.loadCommunes()
	r.run()
	u := r.api.NewUser("Minh", "vi")
	r.driver(u).consentAndProfile("m:job", "Nguyễn Văn Minh")
	r.waitFor("the profile saved", func() bool {
		var n int
		return r.x.Get(&n, `SELECT count(*) FROM people WHERE commune_code = '07840' AND education IS NOT NULL`) == nil && n == 1
	})
	// The last step answered: nothing is in flight when the clock moves.
	r.waitFor("the answer sent", func() bool {
		var done bool
		return r.x.Get(&done, `SELECT answered_version = version FROM conversations`) == nil && done
	})
	fc.Advance(40 * 24 * time.Hour)

	for _, tc := range []struct {
		month string
		want  int
	}{
		{"2026-11", 1}, // registered
		{"2026-12", 0}, // the clock's month after 40 days: nobody new
		{"2027-01", 0},
	} {
		m, err := report.ParseMonth(tc.month, hanoi)
		if err != nil {
			t.Fatal(err)
		}
		f, err := r.db.MonthFigures(r.ctx, m, m.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Registrations["07840"]; got != tc.want {
			t.Errorf("%s: %d registrations in Hiệp Hoà, want %d", tc.month, got, tc.want)
		}
	}
	var created time.Time
	if err := r.x.Get(&created, `SELECT created_at FROM people WHERE commune_code = '07840'`); err != nil {
		t.Fatal(err)
	}
	if !created.Equal(registered) {
		t.Errorf("registered at %v, want the bot's clock %v", created, registered)
	}
}
