package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// The desk's sign-in guards: one-time recovery codes and the failed
// sign-ins counted per client address.

// SetDeskRecoveryCodes replaces a member's recovery codes (hashes) with a
// new set: the old ones, used or not, stop working.
func (tx *Tx) SetDeskRecoveryCodes(ctx context.Context, staffID int64, hashes [][]byte) error {
	if _, err := tx.X.ExecContext(ctx, `DELETE FROM desk_recovery_codes WHERE staff_id = $1`, staffID); err != nil {
		return fmt.Errorf("dropping recovery codes of %d: %w", staffID, err)
	}
	_, err := tx.X.ExecContext(ctx, `
INSERT INTO desk_recovery_codes (staff_id, code_hash, created_at)
SELECT $1, h, $3 FROM unnest($2::bytea[]) AS h`, staffID, pq.ByteaArray(hashes), tx.db.Now())
	if err != nil {
		return fmt.Errorf("storing recovery codes of %d: %w", staffID, err)
	}
	return nil
}

// UseDeskRecoveryCode spends one of a member's unused recovery codes; ok
// is false when none has that hash. left is how many unused remain.
func (tx *Tx) UseDeskRecoveryCode(ctx context.Context, staffID int64, hash []byte) (ok bool, left int, err error) {
	res, err := tx.X.ExecContext(ctx, `
UPDATE desk_recovery_codes SET used_at = $3 WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL`,
		staffID, hash, tx.db.Now())
	if err != nil {
		return false, 0, fmt.Errorf("using a recovery code of %d: %w", staffID, err)
	}
	n, _ := res.RowsAffected()
	if err := tx.X.GetContext(ctx, &left, `SELECT count(*) FROM desk_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, staffID); err != nil {
		return false, 0, fmt.Errorf("counting recovery codes of %d: %w", staffID, err)
	}
	return n == 1, left, nil
}

// DeskRecoveryLeft counts a member's unused recovery codes.
func (db *DB) DeskRecoveryLeft(ctx context.Context, staffID int64) (int, error) {
	var n int
	if err := db.X.GetContext(ctx, &n, `SELECT count(*) FROM desk_recovery_codes WHERE staff_id = $1 AND used_at IS NULL`, staffID); err != nil {
		return 0, fmt.Errorf("counting recovery codes of %d: %w", staffID, err)
	}
	return n, nil
}

// DeskPasswordHash reads an active member's password hash (a sensitive
// action asks for the password again).
func (db *DB) DeskPasswordHash(ctx context.Context, staffID int64) (string, error) {
	var h string
	err := db.X.GetContext(ctx, &h, `
SELECT a.password_hash FROM desk_accounts a JOIN staff s ON s.id = a.staff_id WHERE a.staff_id = $1 AND s.active`, staffID)
	if err != nil {
		return "", fmt.Errorf("reading the password hash of %d: %w", staffID, notFound(err))
	}
	return h, nil
}

// DeskAddrBlocked reports whether addr has had max or more failed
// sign-ins in the window that has not ended, and when that window ends.
func (db *DB) DeskAddrBlocked(ctx context.Context, addr string, max int, window time.Duration) (bool, time.Time, error) {
	now := db.Now()
	var start []time.Time
	err := db.X.SelectContext(ctx, &start, `
SELECT window_start FROM desk_signin_limits WHERE addr = $1 AND window_start > $2 AND failures >= $3`,
		addr, now.Add(-window), max)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("reading sign-in failures of an address: %w", err)
	}
	if len(start) == 0 {
		return false, time.Time{}, nil
	}
	return true, start[0].Add(window), nil
}

// DeskAddrFailed counts a failed sign-in from addr: a window older than
// window starts again at one. It returns the count in the window (the
// caller notes the one that reaches the limit). Rows of ended windows
// are dropped on the way (a hundred at a time), so the table stays small.
func (tx *Tx) DeskAddrFailed(ctx context.Context, addr string, window time.Duration) (int, error) {
	now := tx.db.Now()
	// Rows another sign-in holds are skipped: two cleaning at once must
	// not wait on each other (nor deadlock).
	if _, err := tx.X.ExecContext(ctx, `
DELETE FROM desk_signin_limits WHERE addr IN (
  SELECT addr FROM desk_signin_limits WHERE window_start <= $1 AND addr <> $2
   LIMIT 100 FOR UPDATE SKIP LOCKED)`, now.Add(-window), addr); err != nil {
		return 0, fmt.Errorf("dropping ended sign-in windows: %w", err)
	}
	var n int
	err := tx.X.GetContext(ctx, &n, `
INSERT INTO desk_signin_limits AS l (addr, window_start, failures) VALUES ($1, $2, 1)
ON CONFLICT (addr) DO UPDATE SET
       window_start = CASE WHEN l.window_start <= $3 THEN $2 ELSE l.window_start END,
       failures     = CASE WHEN l.window_start <= $3 THEN 1 ELSE l.failures + 1 END
RETURNING failures`, addr, now, now.Add(-window))
	if err != nil {
		return 0, fmt.Errorf("counting a failed sign-in of an address: %w", err)
	}
	return n, nil
}

// OpenDeskSession starts a signed-in browser's session.
func (tx *Tx) OpenDeskSession(ctx context.Context, staffID int64, tokenHash []byte, csrf string) error {
	_, err := tx.X.ExecContext(ctx, `
INSERT INTO desk_sessions (token_hash, staff_id, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)`,
		tokenHash, staffID, csrf, tx.db.Now())
	if err != nil {
		return fmt.Errorf("opening a desk session of %d: %w", staffID, err)
	}
	return nil
}

// DeskSignedInRecovery resets the failure count after a sign-in with a
// recovery code (the TOTP step is not spent) and opens a session.
func (tx *Tx) DeskSignedInRecovery(ctx context.Context, staffID int64, tokenHash []byte, csrf string) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE desk_accounts SET failed = 0, locked_until = NULL WHERE staff_id = $1`, staffID); err != nil {
		return fmt.Errorf("signing in %d: %w", staffID, err)
	}
	return tx.OpenDeskSession(ctx, staffID, tokenHash, csrf)
}

// SetDeskLanguage keeps the language a member picked on the desk.
func (db *DB) SetDeskLanguage(ctx context.Context, staffID int64, lang string) error {
	if _, err := db.X.ExecContext(ctx, `UPDATE desk_accounts SET language = $2 WHERE staff_id = $1`, staffID, lang); err != nil {
		return fmt.Errorf("setting the desk language of %d: %w", staffID, err)
	}
	return nil
}
