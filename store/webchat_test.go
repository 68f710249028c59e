package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/store"
)

// The web chat's store: a code opens a new session only with the phone
// the person gave; wrong phones lock the code for a while (program time);
// ended sessions stay closed; the outbox reads in order and an erasure
// empties it; the VAPID keys are made once.
func TestWebChatStore(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	clk := clock.NewFake(testNow)
	db.SetClock(clk.Now)
	if err := db.NewWebPerson(ctx, "ref1", "ABCD2345", []byte("tok1"), "csrf1"); err != nil {
		t.Fatal(err)
	}
	if err := db.NewWebPerson(ctx, "ref2", "ABCD2345", []byte("tok2"), "csrf2"); !store.IsUniqueViolation(err) {
		t.Errorf("a taken code: %v, want a unique violation", err)
	}
	s, ok, err := db.WebSessionByToken(ctx, []byte("tok1"))
	if err != nil || !ok || s.Ref != "ref1" || s.Code != "ABCD2345" || s.CSRF != "csrf1" {
		t.Fatalf("session %+v %v %v", s, ok, err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.TouchPerson(ctx, "web", "ref1", "ref1", "vi")
		if err != nil {
			return err
		}
		_, err = tx.X.ExecContext(ctx, `UPDATE people SET phone = '+84912345678' WHERE id = $1`, p.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	tries := []struct {
		name    string
		code    string
		phone   string
		advance time.Duration
		want    error
	}{
		{"unknown code", "ZZZZ2345", "+84912345678", 0, store.ErrWebNoMatch},
		{"wrong phone 1", "ABCD2345", "+84900000001", 0, store.ErrWebNoMatch},
		{"wrong phone 2", "ABCD2345", "+84900000002", 0, store.ErrWebNoMatch},
		{"wrong phone 3 locks", "ABCD2345", "+84900000003", 0, store.ErrWebNoMatch},
		{"right phone while locked", "ABCD2345", "+84912345678", 30 * time.Minute, store.ErrWebCodeLocked},
		{"right phone after the lock", "ABCD2345", "+84912345678", 31 * time.Minute, nil},
	}
	for _, tc := range tries {
		clk.Advance(tc.advance)
		ref, err := db.WebContinue(ctx, tc.code, tc.phone, []byte("tok-"+tc.name), "c", 3, time.Hour)
		if !errors.Is(err, tc.want) || (tc.want == nil && ref != "ref1") {
			t.Errorf("%s: ref %q, err %v, want %v", tc.name, ref, err, tc.want)
		}
	}
	if _, ok, _ := db.WebSessionByToken(ctx, []byte("tok-right phone after the lock")); !ok {
		t.Errorf("no session after continuing")
	}
	if err := db.EndWebSession(ctx, []byte("tok1")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.WebSessionByToken(ctx, []byte("tok1")); ok {
		t.Errorf("an ended session still opens the chat")
	}

	for i, text := range []string{`{"text":"a"}`, `{"text":"b"}`, `{"text":"c"}`} {
		if _, err := db.AddWebMessage(ctx, "ref1", i == 1, []byte(text), "", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.WebMessagesAfter(ctx, "ref1", 0, 10)
	if err != nil || len(all) != 3 || string(all[2].Body) != `{"text": "c"}` || !all[1].Mine {
		t.Fatalf("history %+v %v", all, err)
	}
	newest, _ := db.WebMessagesAfter(ctx, "ref1", 0, 2)
	after, _ := db.WebMessagesAfter(ctx, "ref1", all[0].ID, 1)
	if len(newest) != 2 || newest[0].ID != all[1].ID || len(after) != 1 || after[0].ID != all[1].ID {
		t.Errorf("newest %+v, after the first %+v", newest, after)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.TouchPerson(ctx, "web", "ref1", "ref1", "vi")
		if err != nil {
			return err
		}
		return tx.ErasePerson(ctx, p.ID, clk.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if left, _ := db.WebMessagesAfter(ctx, "ref1", 0, 10); len(left) != 0 {
		t.Errorf("%d messages left after the erasure", len(left))
	}

	calls := 0
	gen := func() (string, string, error) { calls++; return "priv", "pub", nil }
	for range 2 {
		priv, pub, err := db.VAPIDKeys(ctx, gen)
		if err != nil || priv != "priv" || pub != "pub" {
			t.Fatalf("VAPID keys %q %q %v", priv, pub, err)
		}
	}
	if calls != 1 {
		t.Errorf("keys made %d times, want once", calls)
	}
}

// PruneWebChat removes ended and long-unused sessions and visitors who
// never wrote, and nothing of a person who did, or who may still write.
func TestPruneWebChat(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	clk := clock.NewFake(testNow)
	db.SetClock(clk.Now)
	const day = 24 * time.Hour
	visitors := []struct {
		ref       string
		person    bool // wrote, so a person row exists
		pending   bool // wrote, not handled yet
		endedAgo  time.Duration
		unusedFor time.Duration
		wantGone  bool // the visitor and their outbox
		wantLive  bool // their session still opens the chat
	}{
		{"person", true, false, 0, 40 * day, false, true},
		{"visitor-old", false, false, 10 * day, 0, true, false},
		{"visitor-live", false, false, 0, 35 * day, false, true},
		{"visitor-pending", false, true, 10 * day, 0, false, false},
		{"visitor-ended-yesterday", false, false, day, 0, true, false}, // no way back: no phone, session ended
		{"person-ended", true, false, 10 * day, 0, false, false},
		{"visitor-idle-years", false, false, 0, 800 * day, true, false},
	}
	for i, v := range visitors {
		if err := db.NewWebPerson(ctx, v.ref, fmt.Sprintf("CODE%04d", i), []byte("tok-"+v.ref), "c"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddWebMessage(ctx, v.ref, false, []byte(`{"text":"Chào bạn"}`), "", "", nil); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(40 * day)
	now := clk.Now()
	for _, v := range visitors {
		if _, err := db.X.ExecContext(ctx, `UPDATE webchat_sessions SET last_seen_at = $2, ended_at = $3 WHERE ref = $1`,
			v.ref, now.Add(-v.unusedFor), nullTime(v.endedAgo, now)); err != nil {
			t.Fatal(err)
		}
		if v.person {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.TouchPerson(ctx, "web", v.ref, v.ref, "vi")
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if v.pending {
			if _, err := db.X.ExecContext(ctx, `INSERT INTO inbox (channel, event_id, address, event, received_at) VALUES ('web', $1, $1, '{}', $2)`, v.ref, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := db.PruneWebChat(ctx, now.AddDate(0, -24, 0))
	if err != nil {
		t.Fatal(err)
	}
	if got.Visitors != 3 || got.Sessions != 4 {
		t.Errorf("pruned %+v, want 3 visitors and 4 sessions", got)
	}
	for _, v := range visitors {
		var left int
		if err := db.X.GetContext(ctx, &left, `SELECT count(*) FROM webchat_messages WHERE ref = $1`, v.ref); err != nil {
			t.Fatal(err)
		}
		if gone := left == 0; gone != v.wantGone {
			t.Errorf("%s: outbox gone %v, want %v", v.ref, gone, v.wantGone)
		}
		if _, live, _ := db.WebSessionByToken(ctx, []byte("tok-"+v.ref)); live != v.wantLive {
			t.Errorf("%s: session live %v, want %v", v.ref, live, v.wantLive)
		}
	}
}

func nullTime(ago time.Duration, now time.Time) any {
	if ago == 0 {
		return nil
	}
	return now.Add(-ago)
}
