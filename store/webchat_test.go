package store_test

import (
	"context"
	"errors"
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
