package desk_test

import (
	"context"
	"testing"

	"reentrybot/dbtest"
	"reentrybot/store"
)

// One tick of the live updates' poller at rest (nothing new), with 2,000
// cases and 100,000 case events stored: its cost per process per second,
// whatever the number of browsers listening.
func BenchmarkLivePoll(b *testing.B) {
	db := &store.DB{X: dbtest.New(b)}
	ctx := context.Background()
	db.X.MustExec(`INSERT INTO people (external_id, chat_ref) SELECT g::text, g::text FROM generate_series(1, 2000) g`)
	db.X.MustExec(`INSERT INTO cases (person_id, kind, commune_code, opened_at, updated_at)
SELECT id, 'job', '07840', '2026-12-01', '2026-12-01' FROM people`)
	db.X.MustExec(`INSERT INTO case_events (case_id, actor, kind, body, at)
SELECT 1 + g % 2000, 'returnee', 'message', 'tin nhắn', '2026-12-01' FROM generate_series(1, 100000) g`)
	db.X.MustExec(`ANALYZE`)
	c, e, err := db.LastCaseChange(ctx)
	if err != nil || c != 2000 || e < 100000 {
		b.Fatalf("seeded %d cases, %d events: %v", c, e, err)
	}
	for b.Loop() {
		if ch, err := db.CaseChangesSince(ctx, c, e, 1000); err != nil || len(ch) != 0 {
			b.Fatalf("%d changes: %v", len(ch), err)
		}
	}
}
