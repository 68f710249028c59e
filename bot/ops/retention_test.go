package ops_test

import (
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/clock"
)

// With RETENTION_MONTHS set, the sweeper's first round (the job this
// package registers) erases the people not seen for longer, and no one
// else.
func TestRetentionJob(t *testing.T) {
	r := bottest.New(t, func(o *bot.Options, _ *[]botapitest.Option) { o.RetentionMonths = 6 })
	now := clock.System()
	var stale, recent int64
	for _, p := range []struct {
		id   *int64
		ref  string
		seen time.Time
	}{{&stale, "901", now.AddDate(-1, 0, 0)}, {&recent, "902", now.AddDate(0, -5, 0)}} {
		if err := r.X.Get(p.id, `INSERT INTO people (external_id, chat_ref, last_seen_at) VALUES ($1, $1, $2) RETURNING id`, p.ref, p.seen); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(id int64) bool {
		var n int
		if err := r.X.Get(&n, `SELECT count(*) FROM people WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	r.Run()
	r.WaitFor("the stale person erased", func() bool { return !exists(stale) })
	if !exists(recent) {
		t.Error("the person seen five months ago was erased too")
	}
}
