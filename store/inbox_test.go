package store_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"reentrybot/clock"
	"reentrybot/dbtest"
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
			_, ok, err = tx.SeenAndTouch(ctx, update, user, "telegram", chat, chat, "vi")
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
			var err error
			p, _, err = tx.SeenAndTouch(ctx, int64(100+i), 701, "telegram", "701", "701", "vi")
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
