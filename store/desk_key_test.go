package store_test

import (
	"testing"

	"reentrybot/dbtest"
	"reentrybot/store"
)

// The desk's login key is made once: a later (or another process's) fresh
// key does not replace it.
func TestDeskLoginKey(t *testing.T) {
	db := &store.DB{X: dbtest.New(t)}
	for _, fresh := range []string{"first key", "second key"} {
		if k, err := db.DeskLoginKey(t.Context(), fresh); err != nil || k != "first key" {
			t.Errorf("with %q fresh: %q, %v; want the first", fresh, k, err)
		}
	}
}
