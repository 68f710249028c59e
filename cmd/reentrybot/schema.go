package main

import (
	"context"
	"fmt"
	"strings"

	"reentrybot/store"
)

// schemaProblem says why an admin command must not use the database, or
// returns nil when its schema is exactly this binary's.
func schemaProblem(ctx context.Context, db *store.DB) error {
	s, err := db.Schema(ctx)
	switch {
	case err != nil:
		return err
	case len(s.Pending) > 0:
		return fmt.Errorf("the database is behind this version of reentrybot: %d migration(s) pending (%s).\n"+
			"Admin commands never migrate, so that a running bot is not changed under it. "+
			"Upgrade first: back up (reentrybot backup), stop the bot, run reentrybot migrate up, start it "+
			"(docs/operations.md, \"Upgrading\")", len(s.Pending), strings.Join(s.Pending, ", "))
	case s.Ahead():
		return fmt.Errorf("the database is at migration %d, newer than this version of reentrybot knows (%d): "+
			"use the reentrybot binary that migrated it", s.Current, s.Latest)
	}
	return nil
}
