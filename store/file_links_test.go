package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/store"
)

// A linked file: served FileLinkFetches times while it lasts, then gone;
// a newer link of the person replaces the older; expired links are
// pruned; an erasure deletes the person's.
func TestFileLinks(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	clk := clock.NewFake(testNow)
	db.SetClock(clk.Now)
	person := func(ref string) int64 {
		var id int64
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			p, err := tx.TouchPerson(ctx, "zalo", ref, ref, "vi")
			id = p.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	add := func(id int64, data string) string {
		var tok string
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			tok, err = tx.AddFileLink(ctx, id, store.LinkedFile{Name: "d.json", MIME: "application/json", Data: []byte(data)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(tok) != store.FileTokenLen {
			t.Fatalf("token %q: %d characters, want %d", tok, len(tok), store.FileTokenLen)
		}
		return tok
	}
	count := func(q string, args ...any) int {
		var n int
		if err := db.X.Get(&n, q, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}
	a, b := person("a"), person("b")
	tokA := add(a, `{"a":1}`)
	tokB := add(b, `{"b":1}`)
	// Only the token's hash is kept.
	if n := count(`SELECT count(*) FROM file_links WHERE token_hash = sha256(convert_to($1, 'UTF8')) AND person_id = $2`, tokA, a); n != 1 {
		t.Errorf("%d rows keep the hash of a's token", n)
	}

	steps := []struct {
		name    string
		token   string
		advance time.Duration
		want    error
		data    string
	}{
		{"a's file", tokA, 0, nil, `{"a":1}`},
		{"b's file is b's", tokB, 0, nil, `{"b":1}`},
		{"unknown token", "AAAAAAAAAAAAAAAAAAAAAA", 0, store.ErrFileLinkUnknown, ""},
		{"a again, 2", tokA, time.Hour, nil, `{"a":1}`},
		{"a again, 3", tokA, 0, nil, `{"a":1}`},
		{"a again, 4", tokA, 0, nil, `{"a":1}`},
		{"a again, 5", tokA, 0, nil, `{"a":1}`},
		{"a used up", tokA, 0, store.ErrFileLinkGone, ""},
		{"b just before expiry", tokB, store.FileLinkTTL - time.Hour - time.Second, nil, `{"b":1}`},
		{"b at expiry", tokB, time.Second, store.ErrFileLinkGone, ""},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		f, err := db.FetchFileLink(ctx, st.token)
		if !errors.Is(err, st.want) || (st.want == nil && (!bytes.Equal(f.Data, []byte(st.data)) || f.MIME != "application/json" || f.Name != "d.json")) {
			t.Errorf("%s: %+v, %v; want %s, %v", st.name, f, err, st.data, st.want)
		}
	}

	// A new link replaces the person's older one.
	tokA2 := add(a, `{"a":2}`)
	if _, err := db.FetchFileLink(ctx, tokA); !errors.Is(err, store.ErrFileLinkUnknown) {
		t.Errorf("the replaced link: %v", err)
	}
	if f, err := db.FetchFileLink(ctx, tokA2); err != nil || string(f.Data) != `{"a":2}` {
		t.Errorf("the new link: %s, %v", f.Data, err)
	}
	// Pruning takes b's (expired), not a's new one.
	if n, err := db.PruneFileLinks(ctx); err != nil || n != 1 {
		t.Errorf("pruned %d, %v; want 1", n, err)
	}
	if _, err := db.FetchFileLink(ctx, tokB); !errors.Is(err, store.ErrFileLinkUnknown) {
		t.Errorf("a pruned link: %v", err)
	}
	// Erasing a takes theirs.
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ErasePerson(ctx, a, clk.Now()) }); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM file_links`); n != 0 {
		t.Errorf("%d linked files after the erasure", n)
	}
}
