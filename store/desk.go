package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The staff desk in the browser (package desk): accounts made by redeeming
// a staff invite on the web, and sessions kept as token hashes.

// ErrLoginTaken means another account already uses the login name.
var ErrLoginTaken = errors.New("login name taken")

// DeskAccount is a staff member's desk account with their staff record.
type DeskAccount struct {
	Staff
	Login        string       `db:"login"`
	PasswordHash string       `db:"password_hash"`
	TOTPSecret   string       `db:"totp_secret"`
	TOTPLastStep int64        `db:"totp_last_step"`
	Failed       int          `db:"failed"`
	LockedUntil  sql.NullTime `db:"locked_until"`
	// Language is the one the member picked on the desk ("" : none).
	Language string `db:"language"`
}

// DeskInvite reads the staff record an invite would bind, without using
// the invite (the page that redeems it shows who it is for).
func (db *DB) DeskInvite(ctx context.Context, codeHash []byte) (Staff, error) {
	var s Staff
	err := db.X.GetContext(ctx, &s, `
SELECT `+prefixed("s.", staffCols)+` FROM staff_invites i JOIN staff s ON s.id = i.staff_id
 WHERE i.code_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2 AND s.active`, codeHash, db.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrInviteInvalid
	}
	if err != nil {
		return s, fmt.Errorf("reading invite: %w", err)
	}
	return s, nil
}

// RedeemDeskInvite uses an invite on the web: the staff record gets a desk
// account (a second invite replaces the account and ends its sessions).
// step is the TOTP step of the code the person proved the secret with.
func (tx *Tx) RedeemDeskInvite(ctx context.Context, codeHash []byte, login, passwordHash, totpSecret string, step int64) (Staff, error) {
	now := tx.db.Now()
	var id int64
	err := tx.X.GetContext(ctx, &id, `
UPDATE staff_invites i SET used_at = $2
  FROM staff s
 WHERE i.code_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2
   AND s.id = i.staff_id AND s.active
RETURNING i.staff_id`, codeHash, now)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, ErrInviteInvalid
	}
	if err != nil {
		return Staff{}, fmt.Errorf("redeeming invite on the desk: %w", err)
	}
	_, err = tx.X.ExecContext(ctx, `
INSERT INTO desk_accounts (staff_id, login, password_hash, totp_secret, totp_last_step, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (staff_id) DO UPDATE SET login = EXCLUDED.login, password_hash = EXCLUDED.password_hash,
       totp_secret = EXCLUDED.totp_secret, totp_last_step = EXCLUDED.totp_last_step,
       failed = 0, locked_until = NULL, created_at = EXCLUDED.created_at`,
		id, login, passwordHash, totpSecret, step, now)
	if IsUniqueViolation(err) {
		return Staff{}, ErrLoginTaken
	}
	if err != nil {
		return Staff{}, fmt.Errorf("creating desk account of %d: %w", id, err)
	}
	if err := tx.EndDeskSessions(ctx, id); err != nil {
		return Staff{}, err
	}
	return tx.StaffByID(ctx, id)
}

// DeskAccountByLogin reads an active staff member's account by login,
// locked for the transaction (failed counts and the TOTP step move).
func (tx *Tx) DeskAccountByLogin(ctx context.Context, login string) (DeskAccount, bool, error) {
	var a DeskAccount
	err := tx.X.GetContext(ctx, &a, `
SELECT `+prefixed("s.", staffCols)+`, a.login, a.password_hash, a.totp_secret, a.totp_last_step, a.failed, a.locked_until,
       coalesce(a.language, '') AS language
  FROM desk_accounts a JOIN staff s ON s.id = a.staff_id
 WHERE a.login = $1 AND s.active FOR UPDATE OF a`, login)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("reading desk account: %w", err)
	}
	return a, true, nil
}

// DeskSignInFailed counts a wrong sign-in; the max-th in a row locks the
// account until lockedUntil (and starts the count again).
func (tx *Tx) DeskSignInFailed(ctx context.Context, staffID int64, max int, lockedUntil time.Time) (locked bool, err error) {
	err = tx.X.GetContext(ctx, &locked, `
UPDATE desk_accounts SET failed = CASE WHEN failed + 1 >= $2 THEN 0 ELSE failed + 1 END,
       locked_until = CASE WHEN failed + 1 >= $2 THEN $3 ELSE locked_until END
 WHERE staff_id = $1 RETURNING failed = 0`, staffID, max, lockedUntil)
	if err != nil {
		return false, fmt.Errorf("counting a failed sign-in of %d: %w", staffID, err)
	}
	return locked, nil
}

// DeskSignedIn resets the failure count, spends the TOTP step and opens a
// session; false when the step was already used (a replayed code).
func (tx *Tx) DeskSignedIn(ctx context.Context, staffID, step int64, tokenHash []byte, csrf string) (bool, error) {
	res, err := tx.X.ExecContext(ctx, `
UPDATE desk_accounts SET failed = 0, locked_until = NULL, totp_last_step = $2
 WHERE staff_id = $1 AND totp_last_step < $2`, staffID, step)
	if err != nil {
		return false, fmt.Errorf("signing in %d: %w", staffID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := tx.OpenDeskSession(ctx, staffID, tokenHash, csrf); err != nil { // desk_auth.go
		return false, err
	}
	return true, nil
}

// DeskSession is a signed-in browser.
type DeskSession struct {
	Staff
	CSRF string `db:"csrf"`
}

// DeskSessionByToken finds the live session of an active staff member and
// marks it seen; sessions idle longer than idle, ended, or of revoked
// staff are not found.
func (db *DB) DeskSessionByToken(ctx context.Context, tokenHash []byte, idle time.Duration) (DeskSession, bool, error) {
	now := db.Now()
	var s DeskSession
	err := db.X.GetContext(ctx, &s, `
UPDATE desk_sessions d SET last_seen_at = $2
  FROM staff s
 WHERE d.token_hash = $1 AND d.ended_at IS NULL AND d.last_seen_at > $3
   AND s.id = d.staff_id AND s.active
RETURNING `+prefixed("s.", staffCols)+`, d.csrf`, tokenHash, now, now.Add(-idle))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("reading desk session: %w", err)
	}
	return s, true, nil
}

// EndDeskSession signs one browser out.
func (db *DB) EndDeskSession(ctx context.Context, tokenHash []byte) error {
	if _, err := db.X.ExecContext(ctx, `UPDATE desk_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL`, tokenHash, db.Now()); err != nil {
		return fmt.Errorf("ending desk session: %w", err)
	}
	return nil
}

// EndDeskSessions signs a staff member out everywhere.
func (tx *Tx) EndDeskSessions(ctx context.Context, staffID int64) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE desk_sessions SET ended_at = $2 WHERE staff_id = $1 AND ended_at IS NULL`, staffID, tx.db.Now()); err != nil {
		return fmt.Errorf("ending desk sessions of %d: %w", staffID, err)
	}
	return nil
}

// CaseByID reads a case without locking it (for display).
func (db *DB) CaseByID(ctx context.Context, id int64) (Case, error) {
	var c Case
	if err := db.X.GetContext(ctx, &c, caseSelect+` WHERE c.id = $1`, id); err != nil {
		return c, fmt.Errorf("reading case %d: %w", id, notFound(err))
	}
	return c, nil
}

// prefixed qualifies each of a comma-separated column list.
func prefixed(p, cols string) string { return p + strings.ReplaceAll(cols, ", ", ", "+p) }
