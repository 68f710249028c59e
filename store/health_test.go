package store_test

import (
	"context"
	"testing"
	"time"

	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/store"
)

// The figures behind the metrics, from rows set at fixed times relative to
// the store's clock, set to a fixed instant: the test does not depend on
// the date.
func TestHealth(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	db.SetClock(clock.NewFake(at).Now)
	h, err := db.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h != (store.Health{}) {
		t.Fatalf("empty database: %+v", h)
	}
	_, err = db.X.Exec(`
INSERT INTO people (external_id, chat_ref) VALUES ('1', '1'), ('2', '2'), ('3', '3');
INSERT INTO staff (role, communes, display_name, telegram_user_id) VALUES ('admin', '{}', 'A', 9);
INSERT INTO cases (person_id, kind, status, opened_at, first_response_at) VALUES
  (1, 'job', 'new', '2026-11-20 10:00:00+00'::timestamptz - interval '3 hours', NULL),                                   -- unanswered, oldest
  (2, 'loan', 'assigned', '2026-11-20 10:00:00+00'::timestamptz - interval '5 hours', '2026-11-20 10:00:00+00'::timestamptz - interval '4 hours'),      -- answered
  (3, 'course', 'new', '2026-11-20 10:00:00+00'::timestamptz - interval '1 hour', NULL),                                -- unanswered
  (3, 'job', 'closed', '2026-11-20 10:00:00+00'::timestamptz - interval '9 hours', NULL);                               -- closed: not counted
INSERT INTO case_events (case_id, actor, kind, relay_to, relayed_at, relay_error) VALUES
  (1, 'returnee', 'text', 'topic', NULL, NULL),        -- pending
  (1, 'returnee', 'text', 'topic', '2026-11-20 10:00:00+00'::timestamptz, NULL),       -- relayed
  (2, 'staff', 'text', 'returnee', NULL, 'blocked'),   -- failed, not pending
  (2, 'system', 'note', NULL, NULL, NULL);             -- not relayed at all
INSERT INTO broadcasts (author_staff_id, author_chat_id, status) VALUES (1, 9, 'running');
INSERT INTO deliveries (broadcast_id, person_id, status, next_attempt_at) VALUES
  (1, 1, 'pending', '2026-11-20 10:00:00+00'::timestamptz), (1, 2, 'sending', '2026-11-20 10:00:00+00'::timestamptz), (1, 3, 'sent', '2026-11-20 10:00:00+00'::timestamptz);
INSERT INTO inbox (channel, event_id, address, received_at, handled_at) VALUES
  ('telegram', '1', '5', '2026-11-20 09:00:00+00', '2026-11-20 10:00:00+00'::timestamptz - interval '10 minutes'),
  ('telegram', '2', '5', '2026-11-20 09:00:00+00', '2026-11-20 10:00:00+00'::timestamptz - interval '2 minutes'),
  ('telegram', '3', '5', '2026-11-20 09:00:00+00', NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	var dbNow time.Time
	if err := db.X.Get(&dbNow, `SELECT '2026-11-20 10:00:00+00'::timestamptz`); err != nil {
		t.Fatal(err)
	}
	if h, err = db.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if h.OpenCases != 3 || h.PendingRelays != 1 || h.PendingDeliveries != 2 {
		t.Errorf("counts %+v, want 3 open cases, 1 pending relay, 2 pending deliveries", h)
	}
	if h.OldestUnanswered != 3*time.Hour {
		t.Errorf("oldest unanswered %s, want 3h", h.OldestUnanswered)
	}
	if d := at.Sub(h.LastUpdate); d != 2*time.Minute {
		t.Errorf("last update %s before now, want 2m", d)
	}
}
