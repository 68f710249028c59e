package bottest

import (
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/flows"
)

// What the announcement tests of bot and of bot/announcements share.

// WithBroadcast sets the announcement options (fast polling for tests).
func WithBroadcast(o bot.BroadcastOptions) Option {
	return func(bo *bot.Options, _ *[]botapitest.Option) { bo.Broadcast = o }
}

// Clock runs at the real pace from a chosen local time, and can be moved;
// announcements never go out at night, so tests choose the hour.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// NewClock is a Clock at at.
func NewClock(at time.Time) *Clock {
	return &Clock{offset: at.Sub(clock.System())}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return clock.System().Add(c.offset)
}

// Set moves the clock to at.
func (c *Clock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = at.Sub(clock.System())
}

// Today is today at hour:minute:sec in Vietnam.
func Today(hour, minute, sec int) time.Time {
	t := clock.System().In(Hanoi)
	return time.Date(t.Year(), t.Month(), t.Day(), hour, minute, sec, 0, Hanoi)
}

// DayClock is at the latest 10:00 in Vietnam, at the real pace: never in
// the future, so that invitations made on the real clock hold.
func DayClock() *Clock {
	at := Today(10, 0, 0)
	if at.After(clock.System()) {
		at = at.AddDate(0, 0, -1)
	}
	return NewClock(at)
}

// DeliveryCounts counts a broadcast's deliveries by status.
func DeliveryCounts(t testing.TB, x *sqlx.DB, id int64) map[string]int {
	t.Helper()
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := x.Select(&rows, `SELECT status, count(*) AS n FROM deliveries WHERE broadcast_id = $1 GROUP BY status`, id); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// Restart stops the bot and starts a new one on the same database and
// server with r.Opts, as after a crash or a deploy.
func (r *Rig) Restart() {
	r.T.Helper()
	r.Stop()
	b, err := bot.New(r.Ctx, r.Opts, r.DB, flows.NewEngine(nil), r.Cat, Logger())
	if err != nil {
		r.T.Fatal(err)
	}
	r.Bot = b
	r.Run()
}

// DeliveryCounts counts a broadcast's deliveries by status.
func (r *Rig) DeliveryCounts(id int64) map[string]int {
	r.T.Helper()
	return DeliveryCounts(r.T, r.X, id)
}

// AnnouncementsOff is whether person id turned announcements off.
func (r *Rig) AnnouncementsOff(id int64) bool {
	r.T.Helper()
	var off bool
	if err := r.X.Get(&off, `SELECT announcements_off FROM people WHERE id = $1`, id); err != nil {
		r.T.Fatal(err)
	}
	return off
}
