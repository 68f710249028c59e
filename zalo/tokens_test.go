package zalo_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reentrybot/channel"
	"reentrybot/store"
	"reentrybot/zalo"
)

// secondProcess is another bot process's channel on the same database:
// its own connection pool, its own token in memory.
func (r *rig) secondProcess() *zalo.Channel {
	r.t.Helper()
	db, err := store.Open(r.ctx, r.url)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { db.Close() })
	db.SetClock(r.clk.Now)
	return r.newChannel(db, r.bot, 100)
}

func (r *rig) staffGroup() int64 {
	r.t.Helper()
	g := r.api.NewGroup("Tổ tư vấn", true)
	if _, err := r.x.Exec(`INSERT INTO settings (key, value) VALUES ('staff_group', $1)`, strconv.FormatInt(g.ID, 10)); err != nil {
		r.t.Fatal(err)
	}
	return g.ID
}

// Two processes find the access token near expiry at the same moment:
// Zalo sees one refresh (a second would burn the single-use refresh
// token), and both go on sending with the new pair, also after the old
// access token has expired.
func TestTwoProcessesRefreshOnce(t *testing.T) {
	r := newRig(t, rigOpts{})
	u := r.fake.AddFollower("Lan")
	r.say(u.ID, "/start")
	other := r.secondProcess()
	r.clk.Advance(24*time.Hour + 30*time.Minute) // the 25 h token is within RefreshAhead
	r.fake.SendText(u.ID, "xin chào")            // the window stays open
	r.settle(u.ID, len(r.fake.Messages(u.ID)))

	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		for _, ch := range []*zalo.Channel{r.ch, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs <- ch.Refresh(r.ctx)
			}()
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
	}
	if ok, reused := r.fake.Refreshes(); ok != 1 || reused != 0 {
		t.Fatalf("%d refresh calls, %d reused refresh tokens; want 1 and 0", ok, reused)
	}
	r.clk.Advance(time.Hour) // the first access token has expired
	to := channel.Address{Channel: zalo.Name, Ref: u.ID}
	for i, ch := range []*zalo.Channel{r.ch, other} {
		if err := ch.Send(r.ctx, to, channel.Message{Text: "Tin số " + strconv.Itoa(i+1)}); err != nil {
			t.Fatalf("process %d after the refresh: %v", i+1, err)
		}
	}
	if ok, _ := r.fake.Refreshes(); ok != 1 {
		t.Fatalf("%d refresh calls after sending", ok)
	}
}

// An old refresh token comes back (a database restored from a backup, a
// second deployment with a copy): Zalo refuses its reuse and revokes the
// pair; the channel marks the OA as needing an admin, tells the staff
// group once, and refuses to send with the reason.
func TestReusedRefreshTokenIsReported(t *testing.T) {
	r := newRig(t, rigOpts{})
	group := r.staffGroup()
	u := r.fake.AddFollower("Hoa")
	r.say(u.ID, "/start")
	var backup store.ZaloToken
	if err := r.x.Get(&backup, `SELECT oa_id, access_token, refresh_token, access_expires_at, refresh_expires_at, refreshed_at, needs_admin FROM zalo_tokens`); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(24*time.Hour + 30*time.Minute)
	if err := r.ch.Refresh(r.ctx); err != nil {
		t.Fatal(err)
	}
	// The backup is restored.
	if _, err := r.x.Exec(`UPDATE zalo_tokens SET access_token = $1, refresh_token = $2, access_expires_at = $3`,
		backup.AccessToken, backup.RefreshToken, backup.AccessExpiresAt); err != nil {
		t.Fatal(err)
	}
	restored := r.secondProcess()
	err := restored.Refresh(r.ctx)
	var ce *channel.Error
	if !errors.As(err, &ce) || ce.Kind != channel.NotDelivered || !strings.Contains(ce.Reason, "needs an admin") {
		t.Fatalf("refresh with a reused token: %v", err)
	}
	if _, reused := r.fake.Refreshes(); reused != 1 {
		t.Fatalf("the fake saw %d reuses", reused)
	}
	var why string
	if err := r.x.Get(&why, `SELECT coalesce(needs_admin, '') FROM zalo_tokens`); err != nil || !strings.Contains(why, "already used") {
		t.Fatalf("needs_admin %q (%v)", why, err)
	}
	// The first process's pair was revoked with it: it stops too, and the
	// staff hear of it once.
	err = r.ch.Send(r.ctx, channel.Address{Channel: zalo.Name, Ref: u.ID}, channel.Message{Text: "Chào chị"})
	if !errors.As(err, &ce) || ce.Kind != channel.NotDelivered {
		t.Fatalf("send after the revocation: %v", err)
	}
	r.waitFor("the staff group told", func() bool { return len(r.api.Messages(group)) > 0 })
	time.Sleep(100 * time.Millisecond)
	ms := r.api.Messages(group)
	if len(ms) != 1 || !strings.Contains(ms[0].Text, "zalo connect") || !strings.Contains(ms[0].Text, "already used") {
		t.Fatalf("staff group got %+v, want one notice naming the fix", ms)
	}
}
