package store

import (
	"context"
	"fmt"
)

// deskLoginKeySetting names the desk's key for unknown sign-in logins.
const deskLoginKeySetting = "desk_login_key"

// DeskLoginKey returns the desk's secret key for hashing unknown sign-in
// logins in the audit log, storing fresh when there is none yet. It is
// kept in settings so that every process, before and after a restart,
// hashes one login alike; two processes starting together agree on the
// first stored.
func (db *DB) DeskLoginKey(ctx context.Context, fresh string) (string, error) {
	if _, err := db.X.ExecContext(ctx, `
INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING`, deskLoginKeySetting, fresh, db.Now()); err != nil {
		return "", fmt.Errorf("storing the desk's login key: %w", err)
	}
	var k string
	if err := db.X.GetContext(ctx, &k, `SELECT value FROM settings WHERE key = $1`, deskLoginKeySetting); err != nil {
		return "", fmt.Errorf("reading the desk's login key: %w", err)
	}
	return k, nil
}
