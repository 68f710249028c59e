package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"reentrybot/flows"
	"reentrybot/store"
)

// The first statement of a returnee's update: a new update touches the
// person; a redelivered one and a staff member's write nothing. Each case
// runs several times, so that both the unprepared first use and the
// prepared statement (prepared in the background) are exercised.
func TestSeenAndTouch(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	if _, err := db.X.Exec(`INSERT INTO staff (role, communes, display_name, telegram_user_id) VALUES ('counsellor', '{}', 'Chị Lan', 7)`); err != nil {
		t.Fatal(err)
	}
	count := func(q string, args ...any) (n int) {
		t.Helper()
		if err := db.X.Get(&n, q, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tests := []struct {
		name     string
		update   int64
		tgUser   int64
		wantOK   bool
		received bool // written to the inbox (unhandled) first, as intake does
		wantSeen int  // handled inbox rows for the update afterwards
	}{
		{"new person", 1000, 501, true, false, 1},
		{"known person, next update", 1001, 501, true, false, 1},
		{"redelivered update", 1001, 501, false, false, 1}, // the case before's, again
		{"staff member", 1002, 7, false, false, 0},
		{"received, then handled", 1003, 501, true, true, 1},
	}
	for round := range 3 {
		for _, tc := range tests {
			update := tc.update + int64(round)*10
			ref := map[bool]string{true: "501", false: "7"}[tc.tgUser == 501]
			if tc.received {
				if _, err := db.AddToInbox(ctx, []store.InboxEvent{{Channel: "telegram", EventID: strconv.FormatInt(update, 10), Address: ref, Event: []byte(`{}`)}}); err != nil {
					t.Fatal(err)
				}
			}
			var (
				p  store.Person
				ok bool
			)
			err := db.InTx(ctx, func(tx *store.Tx) error {
				r, seen, err := tx.SeenTouchAndState(ctx, update, tc.tgUser, "telegram", ref, ref, "vi")
				p, ok = r.Person, seen
				return err
			})
			if err != nil {
				t.Fatalf("%s (round %d): %v", tc.name, round, err)
			}
			if ok != tc.wantOK {
				t.Errorf("%s (round %d): ok %v, want %v", tc.name, round, ok, tc.wantOK)
			}
			if ok && (p.ID == 0 || p.ExternalID != ref || !p.Reachable) {
				t.Errorf("%s (round %d): person %+v", tc.name, round, p)
			}
			if got := count(`SELECT count(*) FROM inbox WHERE channel = 'telegram' AND event_id = $1 AND handled_at IS NOT NULL`, strconv.FormatInt(update, 10)); got != tc.wantSeen {
				t.Errorf("%s (round %d): %d handled inbox rows, want %d", tc.name, round, got, tc.wantSeen)
			}
		}
		time.Sleep(50 * time.Millisecond) // let the background preparing finish
	}
	if n := count(`SELECT count(*) FROM people WHERE external_id = '7'`); n != 0 {
		t.Errorf("a staff member's update created %d people rows", n)
	}
}

// ConversationState gives the conversation and whether a counsellor holds
// one of the person's cases; answered versions are recorded and found.
func TestConversationStateAndAnswers(t *testing.T) {
	ctx := context.Background()
	db, id := newDB(t)
	read := func() (c flows.Conversation, conversing bool) {
		t.Helper()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			c, conversing, err = tx.ConversationState(ctx, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return c, conversing
	}
	if c, conv := read(); c.PersonID != id || c.Version != 0 || c.Flow != "" || string(c.Data) != "{}" || !c.UpdatedAt.IsZero() || conv {
		t.Fatalf("no conversation yet: %+v, conversing %v", c, conv)
	}
	var caseID int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		c := flows.Conversation{PersonID: id, Flow: "job", State: "trades", Data: []byte(`{"x":1}`)}
		if err := tx.SaveConversation(ctx, &c); err != nil {
			return err
		}
		ref, err := tx.SaveCase(ctx, flows.CaseDraft{PersonID: id, Kind: "job", CommuneCode: "07840", Answers: []byte(`{}`), At: db.Now()})
		caseID = ref.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, conv := read(); c.Version != 1 || c.State != "trades" || c.UpdatedAt.IsZero() || conv {
		t.Fatalf("saved, case new: %+v, conversing %v", c, conv)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetCaseStatus(ctx, caseID, store.CaseAssigned, 0) }); err != nil {
		t.Fatal(err)
	}
	if _, conv := read(); !conv {
		t.Fatal("case assigned, but not conversing")
	}

	// Version 1 is unanswered until recorded.
	unanswered := func() []int64 {
		t.Helper()
		ids, err := db.Unanswered(ctx, []string{"telegram"}, 0, time.Hour, 10, db.Now().Add(time.Minute)) // a minute after the change
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if ids := unanswered(); len(ids) != 1 || ids[0] != id {
		t.Fatalf("unanswered %v, want [%d]", ids, id)
	}
	if ids, err := db.Unanswered(ctx, []string{"telegram"}, time.Hour, 2*time.Hour, 10, db.Now()); err != nil || len(ids) != 0 {
		t.Fatalf("changed under an hour ago, listed as older: %v %v", ids, err)
	}
	if err := db.MarkAnswered(ctx, map[int64]int64{id: 1}); err != nil {
		t.Fatal(err)
	}
	if ids := unanswered(); len(ids) != 0 {
		t.Fatalf("answered, still listed: %v", ids)
	}
	// An older version recorded late does not undo a newer one.
	if err := db.MarkAnswered(ctx, map[int64]int64{id: 0}); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, waiting, err := tx.Unanswered(ctx, id, 0, db.Now().Add(time.Minute))
		if err == nil && waiting {
			t.Error("answered conversation waiting")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The first statement reads the conversation in its snapshot, taken
// before it waits for the person's row lock: when another handling of the
// person commits during that wait, the statement must say its read is not
// fresh (the caller reads again), and otherwise give the conversation as
// saved.
func TestSeenTouchAndStateFreshness(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	first := func(update int64) store.Returnee {
		t.Helper()
		var r store.Returnee
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var ok bool
			var err error
			if r, ok, err = tx.SeenTouchAndState(ctx, update, 811, "telegram", "811", "811", "vi"); err == nil && !ok {
				t.Errorf("update %d: nothing marked", update)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := first(1); r.Fresh || r.Conv.Version != 0 {
		t.Errorf("first contact: fresh %v, version %d; want a second read (not fresh) of no conversation", r.Fresh, r.Conv.Version)
	}
	save := func(tx *store.Tx, personID int64, state string) {
		t.Helper()
		c := flows.Conversation{PersonID: personID, Flow: "job", State: state, Data: []byte(`{"n":1}`)}
		if err := tx.SaveConversation(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	var id int64
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.TouchPerson(ctx, "telegram", "811", "811", "vi")
		id = p.ID
		save(tx, id, "trades")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for round := range 3 { // unprepared, then prepared (in the background)
		r := first(int64(10 + round))
		if !r.Fresh || r.Conv.State != "trades" || r.Conv.Version != 1 || r.ID != id || r.Conversing {
			t.Errorf("round %d, no contention: %+v", round, r)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Another handling holds the person's row (and has changed the
	// conversation) while the statement runs: it waits, then sees the
	// other's commit only through Fresh.
	hold, release := make(chan struct{}), make(chan struct{})
	other := make(chan error, 1)
	go func() {
		other <- db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.TouchPerson(ctx, "telegram", "811", "811", "vi"); err != nil {
				return err
			}
			save(tx, id, "commune")
			close(hold)
			<-release
			return nil
		})
	}()
	<-hold
	got := make(chan store.Returnee, 1)
	var again flows.Conversation
	go func() {
		var r store.Returnee
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if r, _, err = tx.SeenTouchAndState(ctx, 20, 811, "telegram", "811", "811", "vi"); err != nil {
				return err
			}
			again, _, err = tx.ConversationState(ctx, r.ID)
			return err
		})
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	for waiting := 0; waiting == 0; { // the statement is waiting for the lock
		if err := db.X.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	if err := <-other; err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.Fresh {
		t.Errorf("after waiting for another handling: fresh, conversation %+v (the other saved state commune)", r.Conv)
	}
	if again.State != "commune" || again.Version != 2 {
		t.Errorf("read again: %+v, want state commune, version 2", again)
	}
	if r := first(30); !r.Fresh || r.Conv.State != "commune" {
		t.Errorf("after the contention: %+v", r)
	}
}

// SaveConversation updates the row it was read from, or writes one when
// there is none (never saved, or deleted since it was read, as by an
// erasure): the version counts on from the row, or starts at 1.
func TestSaveConversationVersions(t *testing.T) {
	ctx := context.Background()
	db, id := newDB(t)
	tests := []struct {
		name        string
		readVersion int64 // what the caller read
		deleteFirst bool
		want        int64
	}{
		{"none yet", 0, false, 1},
		{"read from the row", 1, false, 2},
		{"stale zero (written meanwhile)", 0, false, 3},
		{"deleted since read", 3, true, 1},
		{"read from the row again", 1, false, 2},
	}
	for _, tc := range tests {
		if tc.deleteFirst {
			if _, err := db.X.Exec(`DELETE FROM conversations WHERE person_id = $1`, id); err != nil {
				t.Fatal(err)
			}
		}
		c := flows.Conversation{PersonID: id, Flow: "job", State: tc.name, Version: tc.readVersion}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SaveConversation(ctx, &c) }); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got flows.Conversation
		if err := db.X.Get(&got, `SELECT person_id, flow, state, data, version, updated_at FROM conversations WHERE person_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if c.Version != tc.want || got.Version != tc.want || got.State != tc.name || string(got.Data) != "{}" {
			t.Errorf("%s: returned version %d, row %+v; want version %d", tc.name, c.Version, got, tc.want)
		}
	}
}
