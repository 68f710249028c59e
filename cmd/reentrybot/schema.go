package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pressly/goose/v3"

	"reentrybot/migrations"
)

// schema compares the migrations applied to a database with those built
// into this binary.
type schema struct {
	pending []string // files not applied yet
	current int64    // highest version applied
	latest  int64    // highest version this binary knows
}

func readSchema(ctx context.Context, db *sql.DB) (schema, error) {
	p, err := migrations.Provider(db)
	if err != nil {
		return schema{}, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return schema{}, fmt.Errorf("reading the migration state: %w", err)
	}
	var s schema
	for _, m := range st {
		s.latest = max(s.latest, m.Source.Version)
		if m.State == goose.StatePending {
			s.pending = append(s.pending, m.Source.Path)
		}
	}
	if s.current, err = p.GetDBVersion(ctx); err != nil {
		return schema{}, fmt.Errorf("reading the database version: %w", err)
	}
	return s, nil
}

// problem says what is wrong with the database for this binary, or nil.
func (s schema) problem() error {
	switch {
	case len(s.pending) > 0:
		return fmt.Errorf("the database is behind this version of reentrybot: %d migration(s) pending (%s).\n"+
			"Admin commands never migrate, so that a running bot is not changed under it. "+
			"Upgrade first: back up (reentrybot backup), stop the bot, run reentrybot migrate up, start it "+
			"(docs/operations.md, \"Upgrading\")", len(s.pending), strings.Join(s.pending, ", "))
	case s.current > s.latest:
		return fmt.Errorf("the database is at migration %d, newer than this version of reentrybot knows (%d): "+
			"use the reentrybot binary that migrated it", s.current, s.latest)
	}
	return nil
}
