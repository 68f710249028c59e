package dbtest_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"reentrybot/dbtest"
	"reentrybot/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestIsolation runs two parallel tests, each with its own database: what
// one creates, the other does not see.
func TestIsolation(t *testing.T) {
	ready := map[string]chan struct{}{"a": make(chan struct{}), "b": make(chan struct{})}
	other := map[string]string{"a": "b", "b": "a"}
	for _, me := range []string{"a", "b"} {
		t.Run(me, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := dbtest.New(t)

			pending, err := migrations.Pending(ctx, db.DB)
			if err != nil {
				t.Fatal(err)
			}
			if pending {
				t.Error("the new database is not fully migrated")
			}

			db.MustExecContext(ctx, "CREATE TABLE only_in_"+me+" (x int)")
			close(ready[me])
			select {
			case <-ready[other[me]]:
			case <-time.After(time.Minute):
				t.Fatal("the other test did not get going")
			}
			var n int
			if err := db.GetContext(ctx, &n, "SELECT count(*) FROM pg_tables WHERE tablename = $1", "only_in_"+me); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("own table only_in_%s missing", me)
			}
			if err := db.GetContext(ctx, &n, "SELECT count(*) FROM pg_tables WHERE tablename = $1", "only_in_"+other[me]); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("table only_in_%s of the other test is visible", other[me])
			}
		})
	}
}

// TestURL checks that URL gives a distinct database that is dropped when the
// test ends, even with a connection still open, and that Server works.
func TestURL(t *testing.T) {
	ctx := context.Background()
	var name string
	t.Run("sub", func(t *testing.T) {
		db, err := sql.Open("postgres", dbtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		// db deliberately left open: the drop must disconnect it.
	})
	if t.Failed() {
		return
	}
	admin, err := sql.Open("postgres", dbtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var n int
	if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

// TestManyParallel creates many databases at once.
func TestManyParallel(t *testing.T) {
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := dbtest.New(t)
			var one int
			if err := db.Get(&one, "SELECT 1"); err != nil || one != 1 {
				t.Errorf("SELECT 1: %v, %d", err, one)
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		dbtest.New(b)
	}
}
