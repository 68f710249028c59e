package dbtest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"reentrybot/migrations"
)

// URLBehind is URL with the last migration rolled back, as a database
// looks to a newer binary before `migrate up`. It returns the URL and the
// file of the rolled-back migration.
func URLBehind(t testing.TB) (string, string) {
	t.Helper()
	u := URL(t)
	db, err := sql.Open("postgres", u)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer db.Close()
	p, err := migrations.Provider(db)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := p.Down(ctx)
	if err != nil {
		t.Fatalf("dbtest: rolling back the last migration: %v", err)
	}
	return u, r.Source.Path
}
