package store

import (
	"context"
	"fmt"

	"github.com/pressly/goose/v3"

	"reentrybot/migrations"
)

// Schema compares the migrations applied to the database with those built
// into this binary.
type Schema struct {
	Pending []string // migration files not applied yet
	Current int64    // highest version applied
	Latest  int64    // highest version this binary knows
}

// Ahead reports a database migrated by a newer binary than this one.
func (s Schema) Ahead() bool { return s.Current > s.Latest }

// Schema reads the database's migration state.
func (db *DB) Schema(ctx context.Context) (Schema, error) {
	p, err := migrations.Provider(db.X.DB)
	if err != nil {
		return Schema{}, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return Schema{}, fmt.Errorf("reading the migration state: %w", err)
	}
	var s Schema
	for _, m := range st {
		s.Latest = max(s.Latest, m.Source.Version)
		if m.State == goose.StatePending {
			s.Pending = append(s.Pending, m.Source.Path)
		}
	}
	if s.Current, err = p.GetDBVersion(ctx); err != nil {
		return Schema{}, fmt.Errorf("reading the database version: %w", err)
	}
	return s, nil
}
