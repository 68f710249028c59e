package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ZaloToken is an Official Account's OAuth pair.
type ZaloToken struct {
	OAID             string         `db:"oa_id"`
	AccessToken      string         `db:"access_token"`
	RefreshToken     string         `db:"refresh_token"`
	AccessExpiresAt  time.Time      `db:"access_expires_at"`
	RefreshExpiresAt time.Time      `db:"refresh_expires_at"`
	RefreshedAt      time.Time      `db:"refreshed_at"`
	NeedsAdmin       sql.NullString `db:"needs_admin"`
}

const zaloTokenCols = `oa_id, access_token, refresh_token, access_expires_at, refresh_expires_at, refreshed_at, needs_admin`

// ZaloToken reads the OA's pair without locking it; ok is false before
// `reentrybot zalo connect`.
func (db *DB) ZaloToken(ctx context.Context, oa string) (t ZaloToken, ok bool, err error) {
	return zaloToken(ctx, db.X.GetContext, oa, "")
}

// LockZaloToken reads the OA's pair and locks its row until the
// transaction ends: the one process that holds it refreshes, the others
// wait and then read the new pair.
func (tx *Tx) LockZaloToken(ctx context.Context, oa string) (t ZaloToken, ok bool, err error) {
	return zaloToken(ctx, tx.X.GetContext, oa, " FOR UPDATE")
}

func zaloToken(ctx context.Context, get func(context.Context, any, string, ...any) error, oa, lock string) (ZaloToken, bool, error) {
	var t ZaloToken
	err := get(ctx, &t, `SELECT `+zaloTokenCols+` FROM zalo_tokens WHERE oa_id = $1`+lock, oa)
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("reading the Zalo token of OA %s: %w", oa, err)
	}
	return t, true, nil
}

const saveZaloTokenSQL = `
INSERT INTO zalo_tokens (oa_id, access_token, refresh_token, access_expires_at, refresh_expires_at, refreshed_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (oa_id) DO UPDATE
   SET access_token = EXCLUDED.access_token, refresh_token = EXCLUDED.refresh_token,
       access_expires_at = EXCLUDED.access_expires_at, refresh_expires_at = EXCLUDED.refresh_expires_at,
       refreshed_at = EXCLUDED.refreshed_at, needs_admin = NULL, needs_admin_at = NULL`

// SaveZaloToken stores a new pair (and clears needs_admin); RefreshedAt
// is the store's clock.
func (tx *Tx) SaveZaloToken(ctx context.Context, t ZaloToken) error {
	return saveZaloToken(ctx, tx.X, tx.db.Now(), t)
}

// SaveZaloToken is the same outside a transaction (`zalo connect`).
func (db *DB) SaveZaloToken(ctx context.Context, t ZaloToken) error {
	return saveZaloToken(ctx, db.X, db.Now(), t)
}

func saveZaloToken(ctx context.Context, x interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, now time.Time, t ZaloToken) error {
	if _, err := x.ExecContext(ctx, saveZaloTokenSQL, t.OAID, t.AccessToken, t.RefreshToken, t.AccessExpiresAt, t.RefreshExpiresAt, now); err != nil {
		return fmt.Errorf("saving the Zalo token of OA %s: %w", t.OAID, err)
	}
	return nil
}

// MarkZaloNeedsAdmin records why the OA's pair is unusable; first is true
// only for the call that changed it, so the staff are told once.
func (tx *Tx) MarkZaloNeedsAdmin(ctx context.Context, oa, why string) (first bool, err error) {
	res, err := tx.X.ExecContext(ctx, `
UPDATE zalo_tokens SET needs_admin = $2, needs_admin_at = $3 WHERE oa_id = $1 AND needs_admin IS NULL`, oa, why, tx.db.Now())
	if err != nil {
		return false, fmt.Errorf("marking the Zalo OA %s as needing an admin: %w", oa, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// TouchZaloWindow records that a follower interacted at `at`: the free
// window starts again and its reply count with it. An older event (a
// retried delivery) changes nothing.
func (db *DB) TouchZaloWindow(ctx context.Context, oa, user string, at time.Time) error {
	_, err := db.X.ExecContext(ctx, `
INSERT INTO zalo_window (oa_id, user_id, last_interaction_at, replies) VALUES ($1, $2, $3, 0)
ON CONFLICT (oa_id, user_id) DO UPDATE SET last_interaction_at = EXCLUDED.last_interaction_at, replies = 0
 WHERE zalo_window.last_interaction_at <= EXCLUDED.last_interaction_at`, oa, user, at)
	if err != nil {
		return fmt.Errorf("recording a Zalo interaction of %s: %w", user, err)
	}
	return nil
}

// TakeZaloReply counts one free reply to the follower if their last
// interaction is after since and fewer than max went out since; false
// means the message is outside the free window.
func (db *DB) TakeZaloReply(ctx context.Context, oa, user string, since time.Time, max int) (bool, error) {
	res, err := db.X.ExecContext(ctx, `
UPDATE zalo_window SET replies = replies + 1
 WHERE oa_id = $1 AND user_id = $2 AND last_interaction_at > $3 AND replies < $4`, oa, user, since, max)
	if err != nil {
		return false, fmt.Errorf("counting a Zalo reply to %s: %w", user, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GiveBackZaloReply undoes TakeZaloReply when the message did not go.
func (db *DB) GiveBackZaloReply(ctx context.Context, oa, user string) error {
	_, err := db.X.ExecContext(ctx, `UPDATE zalo_window SET replies = replies - 1 WHERE oa_id = $1 AND user_id = $2 AND replies > 0`, oa, user)
	if err != nil {
		return fmt.Errorf("giving back a Zalo reply to %s: %w", user, err)
	}
	return nil
}

// ZaloWindow is a follower's window as the store knows it.
type ZaloWindow struct {
	UserID          string    `db:"user_id"`
	LastInteraction time.Time `db:"last_interaction_at"`
	Replies         int       `db:"replies"`
}

// ZaloWindows reads the windows of the given followers (an announcement's
// preview sorts its Zalo recipients by them); followers never seen are
// absent.
func (db *DB) ZaloWindows(ctx context.Context, oa string, users []string) (map[string]ZaloWindow, error) {
	var rows []ZaloWindow
	if err := db.X.SelectContext(ctx, &rows, `
SELECT user_id, last_interaction_at, replies FROM zalo_window WHERE oa_id = $1 AND user_id = ANY($2)`, oa, pq.Array(users)); err != nil {
		return nil, fmt.Errorf("reading Zalo windows: %w", err)
	}
	out := make(map[string]ZaloWindow, len(rows))
	for _, r := range rows {
		out[r.UserID] = r
	}
	return out, nil
}

// TakeZaloPaid counts one paid send in the month of `at` (in loc) if
// fewer than limit went out; false means the cap is reached.
func (db *DB) TakeZaloPaid(ctx context.Context, oa string, month time.Time, limit int) (bool, error) {
	if limit <= 0 {
		return false, nil
	}
	var n int
	err := db.X.GetContext(ctx, &n, `
INSERT INTO zalo_paid (oa_id, month, sends) VALUES ($1, $2, 1)
ON CONFLICT (oa_id, month) DO UPDATE SET sends = zalo_paid.sends + 1 WHERE zalo_paid.sends < $3
RETURNING sends`, oa, monthStart(month), limit)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("counting a paid Zalo send: %w", err)
	}
	return true, nil
}

// GiveBackZaloPaid undoes TakeZaloPaid when Zalo refused the message.
func (db *DB) GiveBackZaloPaid(ctx context.Context, oa string, month time.Time) error {
	_, err := db.X.ExecContext(ctx, `UPDATE zalo_paid SET sends = sends - 1 WHERE oa_id = $1 AND month = $2 AND sends > 0`, oa, monthStart(month))
	if err != nil {
		return fmt.Errorf("giving back a paid Zalo send: %w", err)
	}
	return nil
}

// ZaloPaidSends is how many paid sends went out in the month.
func (db *DB) ZaloPaidSends(ctx context.Context, oa string, month time.Time) (int, error) {
	var n int
	err := db.X.GetContext(ctx, &n, `SELECT COALESCE(sum(sends), 0) FROM zalo_paid WHERE oa_id = $1 AND month = $2`, oa, monthStart(month))
	if err != nil {
		return 0, fmt.Errorf("reading paid Zalo sends: %w", err)
	}
	return n, nil
}

func monthStart(t time.Time) string { return t.Format("2006-01") + "-01" }

// ZaloRecipient is the phone a template message may go to: that of a
// person on the channel who gave it, is not erased nor unreachable (who
// unfollowed the OA wants no messages), and whose latest
// decision on one of purposes is consent. ok is false otherwise.
func (db *DB) ZaloRecipient(ctx context.Context, channel, ref string, purposes []string) (phone string, ok bool, err error) {
	phones, err := db.ZaloRecipients(ctx, channel, []string{ref}, purposes)
	phone, ok = phones[ref]
	return phone, ok, err
}

// ZaloRecipients is ZaloRecipient for many people at once (an
// announcement's preview): their phones by ref, for those who qualify.
func (db *DB) ZaloRecipients(ctx context.Context, channel string, refs, purposes []string) (map[string]string, error) {
	var rows []struct {
		Ref   string `db:"external_id"`
		Phone string `db:"phone"`
	}
	err := db.X.SelectContext(ctx, &rows, `
SELECT p.external_id, p.phone FROM people p
 WHERE p.channel = $1 AND p.external_id = ANY($2) AND p.erased_at IS NULL AND p.reachable AND p.phone IS NOT NULL
   AND EXISTS (SELECT 1 FROM unnest($3::text[]) AS want(purpose)
                WHERE (SELECT c.granted FROM consents c WHERE c.person_id = p.id AND c.purpose = want.purpose
                        ORDER BY c.decided_at DESC, c.id DESC LIMIT 1))`, channel, pq.Array(refs), pq.Array(purposes))
	if err != nil {
		return nil, fmt.Errorf("reading the phones of %d people on %s: %w", len(refs), channel, err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Ref] = r.Phone
	}
	return out, nil
}

// eraseZalo forgets a Zalo follower's window (when they last wrote) on
// erasure: it names their Zalo user id.
func eraseZalo(ctx context.Context, tx *Tx, channel, ref string) error {
	if channel != "zalo" {
		return nil
	}
	_, err := tx.X.ExecContext(ctx, `DELETE FROM zalo_window WHERE user_id = $1`, ref)
	return err
}
