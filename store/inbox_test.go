package store_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/store"
)

// An update handed over from memory is marked only when no earlier update
// of its chat is unhandled: the handling statement writes nothing while
// there is one, in update id order (9 before 10), so the caller can read
// the chat from the inbox in order instead. AddTelegramToInbox names the
// updates it wrote, not the redelivered ones.
func TestHandlingKeepsChatOrder(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	add := func(chat string, ids ...string) map[string]bool {
		t.Helper()
		var evs []store.InboxEvent
		for _, id := range ids {
			evs = append(evs, store.InboxEvent{Channel: "telegram", EventID: id, Address: chat, Event: []byte(`{"update_id":` + id + `}`)})
		}
		fresh, err := db.AddTelegramToInbox(ctx, evs)
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	handle := func(update int64, chat string) bool {
		t.Helper()
		var ok bool
		err := db.InTx(ctx, func(tx *store.Tx) error {
			user, _ := strconv.ParseInt(chat, 10, 64)
			var err error
			_, ok, err = tx.SeenTouchAndState(ctx, update, user, "telegram", chat, chat, "vi")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if got, want := add("601", "9", "10"), map[string]bool{"9": true, "10": true}; !reflect.DeepEqual(got, want) {
		t.Errorf("written %v, want %v", got, want)
	}
	if got := add("601", "9", "11"); !reflect.DeepEqual(got, map[string]bool{"11": true}) {
		t.Errorf("with a redelivery: written %v, want only 11", got)
	}
	add("602", "12") // another chat's pending update holds nothing up

	steps := []struct {
		update int64
		chat   string
		want   bool
	}{
		{10, "601", false}, // 9 is unhandled
		{11, "601", false},
		{12, "602", true},
		{9, "601", true},
		{11, "601", false}, // 10 is still unhandled
		{10, "601", true},
		{11, "601", true},
		{13, "601", true}, // never written to the inbox (a direct call): nothing before it
	}
	for _, s := range steps {
		if got := handle(s.update, s.chat); got != s.want {
			t.Errorf("update %d of chat %s: handled %v, want %v", s.update, s.chat, got, s.want)
		}
	}
	var pending []string
	if err := db.X.Select(&pending, `SELECT event_id FROM inbox WHERE channel = 'telegram' AND handled_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("unhandled after all: %v", pending)
	}
}

// Touching a person keeps last_seen_at while it is under an hour old (so
// the row's update is HOT) and moves it otherwise, also backwards.
func TestTouchLastSeenToTheHour(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	clk := clock.NewFake(testNow)
	db.SetClock(clk.Now)
	steps := []struct {
		at   time.Duration // from testNow
		want time.Duration
	}{
		{0, 0},
		{30 * time.Minute, 0},
		{60 * time.Minute, 0},
		{61 * time.Minute, 61 * time.Minute}, // over an hour old: moved
		{90 * time.Minute, 61 * time.Minute},
		{3 * time.Hour, 3 * time.Hour},
		{2 * time.Hour, 2 * time.Hour}, // the clock went back
	}
	for i, s := range steps {
		clk.Set(testNow.Add(s.at))
		var p store.Person
		err := db.InTx(ctx, func(tx *store.Tx) error {
			r, _, err := tx.SeenTouchAndState(ctx, int64(100+i), 701, "telegram", "701", "701", "vi")
			p = r.Person
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := testNow.Add(s.want); !p.LastSeenAt.Equal(want) {
			t.Errorf("touched at +%v: last seen %v, want %v", s.at, p.LastSeenAt.UTC(), want)
		}
	}
}

// The other channels' handling takes a person's events oldest first, each
// marked handled with what the person wrote dropped from the row, and
// touches the person with their conversation in one statement.
func TestTakeInboxEventAndTouchAndState(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	evs := []store.InboxEvent{
		{Channel: "zalo", EventID: "b", Address: "z1", Event: []byte(`{"text":"first"}`)},
		{Channel: "zalo", EventID: "a", Address: "z1", Event: []byte(`{"text":"second"}`)},
		{Channel: "zalo", EventID: "c", Address: "z2", Event: []byte(`{"text":"other person"}`)},
	}
	if _, err := db.AddToInbox(ctx, evs); err != nil {
		t.Fatal(err)
	}
	take := func(addr string) (store.InboxEvent, bool) {
		t.Helper()
		var e store.InboxEvent
		var ok bool
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			e, ok, err = tx.TakeInboxEvent(ctx, "zalo", addr)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return e, ok
	}
	for round, want := range []string{`{"text": "first"}`, `{"text": "second"}`, ""} {
		e, ok := take("z1")
		if got := string(e.Event); ok != (want != "") || got != want {
			t.Errorf("take %d: %q, %v; want %q", round, got, ok, want)
		}
		time.Sleep(20 * time.Millisecond) // prepared in the background meanwhile
	}
	var left []string
	if err := db.X.Select(&left, `SELECT event_id FROM inbox WHERE handled_at IS NULL OR event IS NOT NULL ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(left, []string{"c"}) {
		t.Errorf("unhandled or still holding the text: %v, want only the other person's", left)
	}

	touch := func() store.Returnee {
		t.Helper()
		var r store.Returnee
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			r, err = tx.TouchAndState(ctx, "zalo", "z1", "z1", "en")
			if err == nil && r.Fresh {
				c := r.Conv
				c.State = c.State + "x"
				err = tx.SaveConversation(ctx, &c)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := touch(); r.Fresh || r.Language != "en" || r.ID == 0 {
		t.Errorf("first contact: %+v, want a new person and a second read (not fresh)", r)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.TouchPerson(ctx, "zalo", "z1", "z1", "en")
		if err == nil {
			err = tx.SaveConversation(ctx, &flows.Conversation{PersonID: p.ID, Flow: "job", State: "s", Data: []byte(`{}`)})
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for round, want := range []string{"s", "sx", "sxx"} {
		if r := touch(); !r.Fresh || r.Conv.State != want || r.Conv.Flow != "job" {
			t.Errorf("round %d: %+v, want fresh, state %q", round, r, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
