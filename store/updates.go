package store

import (
	"context"
	"fmt"
	"time"
)

const markSeenSQL = `INSERT INTO updates_seen (update_id, handled_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`

// MarkUpdateSeen records updateID as handled in this transaction. It
// returns false when the update was handled before; a concurrent handler of
// the same update blocks here until the other one commits or rolls back.
func (tx *Tx) MarkUpdateSeen(ctx context.Context, updateID int64) (bool, error) {
	res, err := tx.X.ExecContext(ctx, markSeenSQL, updateID, tx.db.Now())
	if err != nil {
		return false, fmt.Errorf("marking update %d seen: %w", updateID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("marking update %d seen: %w", updateID, err)
	}
	return n == 1, nil
}

const updateSeenSQL = `SELECT EXISTS (SELECT 1 FROM updates_seen WHERE update_id = $1)`

// UpdateSeen reports whether updateID was handled.
func (db *DB) UpdateSeen(ctx context.Context, updateID int64) (bool, error) {
	var ok bool
	if err := db.X.GetContext(ctx, &ok, updateSeenSQL, updateID); err != nil {
		return false, fmt.Errorf("reading update %d: %w", updateID, err)
	}
	return ok, nil
}

const pruneSeenSQL = `DELETE FROM updates_seen WHERE handled_at < $1`

// PruneUpdatesSeen forgets update ids handled before cutoff; Telegram keeps
// undelivered updates for 24 hours, so a few days is plenty.
func (db *DB) PruneUpdatesSeen(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.X.ExecContext(ctx, pruneSeenSQL, cutoff)
	if err != nil {
		return 0, fmt.Errorf("pruning updates_seen: %w", err)
	}
	return res.RowsAffected()
}
