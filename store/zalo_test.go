package store_test

import (
	"context"
	"testing"
	"time"

	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/store"
)

// The window's bookkeeping: an interaction opens it and resets the count,
// an older (retried) event changes nothing, replies are taken up to the
// limit and only inside the window.
func TestZaloWindow(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	db := &store.DB{X: dbtest.New(t)}
	db.SetClock(clk.Now)
	take := func(max int) bool {
		t.Helper()
		ok, err := db.TakeZaloReply(ctx, "oa", "u1", clk.Now().Add(-48*time.Hour), max)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if take(8) {
		t.Fatal("a reply to someone who never wrote")
	}
	if err := db.TouchZaloWindow(ctx, "oa", "u1", clk.Now()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if !take(3) {
			t.Fatalf("reply %d refused", i+1)
		}
	}
	if take(3) {
		t.Fatal("a fourth reply past a limit of 3")
	}
	if err := db.GiveBackZaloReply(ctx, "oa", "u1"); err != nil || !take(3) {
		t.Fatalf("a reply given back is not free again (%v)", err)
	}
	// A retried delivery of an older event does not reset the count.
	if err := db.TouchZaloWindow(ctx, "oa", "u1", clk.Now().Add(-time.Hour)); err != nil || take(3) {
		t.Fatalf("an older event reset the window (%v)", err)
	}
	clk.Advance(time.Minute)
	if err := db.TouchZaloWindow(ctx, "oa", "u1", clk.Now()); err != nil || !take(3) {
		t.Fatalf("a new interaction did not reset the count (%v)", err)
	}
	clk.Advance(48*time.Hour + time.Second)
	if take(8) {
		t.Fatal("a free reply 48 h after the last interaction")
	}
	w, err := db.ZaloWindows(ctx, "oa", []string{"u1", "u2"})
	if err != nil || len(w) != 1 || w["u1"].Replies != 1 {
		t.Fatalf("windows %+v (%v)", w, err)
	}
}

// Paid sends are capped per month; a refused one is given back.
func TestZaloPaidCap(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	nov := time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)
	for i, want := range []bool{true, true, false} {
		if ok, err := db.TakeZaloPaid(ctx, "oa", nov, 2); err != nil || ok != want {
			t.Fatalf("send %d: %v (%v), want %v", i+1, ok, err, want)
		}
	}
	if err := db.GiveBackZaloPaid(ctx, "oa", nov); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.TakeZaloPaid(ctx, "oa", nov, 2); !ok {
		t.Fatal("a send given back is not free again")
	}
	if ok, _ := db.TakeZaloPaid(ctx, "oa", nov.Add(2*time.Hour), 2); !ok {
		t.Fatal("December starts with November's count")
	}
	if ok, _ := db.TakeZaloPaid(ctx, "oa", nov, 0); ok {
		t.Fatal("a cap of 0 sent")
	}
	if n, err := db.ZaloPaidSends(ctx, "oa", nov); err != nil || n != 2 {
		t.Fatalf("%d sends in November (%v)", n, err)
	}
}

// A template goes to a phone only with the latest decision on one of the
// purposes being consent, and never to an erased person.
func TestZaloRecipient(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	var id int64
	now := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	decide := func(p flows.Purpose, granted bool) {
		t.Helper()
		now = now.Add(time.Minute)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.RecordConsent(ctx, flows.Consent{PersonID: id, Purpose: p, Granted: granted, TextVersion: flows.ConsentTextVersion, At: now})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.TouchPerson(ctx, "zalo", "u1", "u1", "vi")
		id = p.ID
		if err != nil {
			return err
		}
		return tx.SaveProfile(ctx, id, flows.Profile{FullName: "An", Phone: "+84912345678"})
	}); err != nil {
		t.Fatal(err)
	}
	want := func(purposes []string, ok bool) {
		t.Helper()
		phone, got, err := db.ZaloRecipient(ctx, "zalo", "u1", purposes)
		if err != nil || got != ok || (ok && phone != "+84912345678") {
			t.Fatalf("%v: %q %v (%v), want %v", purposes, phone, got, err, ok)
		}
	}
	want([]string{"job"}, false) // no decision yet
	decide(flows.PurposeJob, true)
	want([]string{"job", "loan"}, true)
	want([]string{"announcements"}, false)
	decide(flows.PurposeJob, false) // withdrawn: the latest decision counts
	want([]string{"job", "loan"}, false)
	decide(flows.PurposeLoan, true)
	want([]string{"job", "loan"}, true)
	if _, err := db.X.Exec(`UPDATE people SET erased_at = $2 WHERE id = $1`, id, now); err != nil {
		t.Fatal(err)
	}
	want([]string{"loan"}, false)
}

// The token row: saved, locked and read back; needs_admin is set once
// and cleared by a new pair.
func TestZaloTokenRow(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	if _, ok, err := db.ZaloToken(ctx, "oa"); ok || err != nil {
		t.Fatalf("a token before connecting (%v)", err)
	}
	exp := time.Date(2026, 11, 17, 10, 0, 0, 0, time.UTC)
	if err := db.SaveZaloToken(ctx, store.ZaloToken{OAID: "oa", AccessToken: "a1", RefreshToken: "r1", AccessExpiresAt: exp, RefreshExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	firsts := 0
	for i := 0; i < 2; i++ {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			tok, ok, err := tx.LockZaloToken(ctx, "oa")
			if err != nil || !ok || tok.RefreshToken != "r1" {
				t.Fatalf("locked %+v %v (%v)", tok, ok, err)
			}
			first, err := tx.MarkZaloNeedsAdmin(ctx, "oa", "refresh token reused")
			if first {
				firsts++
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	tok, _, _ := db.ZaloToken(ctx, "oa")
	if firsts != 1 || tok.NeedsAdmin.String != "refresh token reused" {
		t.Fatalf("needs_admin %+v, marked first %d times", tok.NeedsAdmin, firsts)
	}
	if err := db.SaveZaloToken(ctx, store.ZaloToken{OAID: "oa", AccessToken: "a2", RefreshToken: "r2", AccessExpiresAt: exp, RefreshExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if tok, _, _ := db.ZaloToken(ctx, "oa"); tok.NeedsAdmin.Valid || tok.AccessToken != "a2" {
		t.Fatalf("after connecting again: %+v", tok)
	}
}

// Erasing a Zalo follower forgets their window, which names their user id.
func TestZaloWindowErased(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC))
	db := &store.DB{X: dbtest.New(t)}
	db.SetClock(clk.Now)
	var id int64
	if err := db.X.Get(&id, `INSERT INTO people (channel, external_id, chat_ref) VALUES ('zalo', 'u1', 'u1') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u1", "u2"} {
		if err := db.TouchZaloWindow(ctx, "oa", u, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ErasePerson(ctx, id, clk.Now()) }); err != nil {
		t.Fatal(err)
	}
	w, err := db.ZaloWindows(ctx, "oa", []string{"u1", "u2"})
	if err != nil || len(w) != 1 || w["u2"].LastInteraction.IsZero() {
		t.Fatalf("windows after erasing u1: %+v (%v), want u2's only", w, err)
	}
}
