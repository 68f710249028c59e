// Package migrations holds the numbered SQL migrations, embedded in the
// binary and applied with goose.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// lockID is the advisory-lock key that keeps two processes starting at the
// same time from migrating concurrently.
const lockID = 4728190354

// Provider returns a goose provider over the embedded migrations.
func Provider(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(files, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations fs: %w", err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID))
	if err != nil {
		return nil, fmt.Errorf("migration locker: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("migration provider: %w", err)
	}
	return p, nil
}

// Up applies every pending migration.
func Up(ctx context.Context, db *sql.DB) error {
	p, err := Provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("applying migrations: %w", err)
	}
	return nil
}

// Pending reports whether migrations remain to be applied.
func Pending(ctx context.Context, db *sql.DB) (bool, error) {
	p, err := Provider(db)
	if err != nil {
		return false, err
	}
	has, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("checking migrations: %w", err)
	}
	return has, nil
}
