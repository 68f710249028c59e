package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const markEventSQL = `
INSERT INTO channel_events (channel, event_id, handled_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`

// MarkEventSeen records a channel's event as handled in this transaction;
// false when it was handled before (a concurrent handler of the same event
// blocks until the other ends).
func (tx *Tx) MarkEventSeen(ctx context.Context, channel, eventID string) (bool, error) {
	res, err := tx.X.ExecContext(ctx, markEventSQL, channel, eventID, tx.db.Now())
	if err != nil {
		return false, fmt.Errorf("marking %s event %s seen: %w", channel, eventID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("marking %s event %s seen: %w", channel, eventID, err)
	}
	return n == 1, nil
}

// PruneChannelEvents forgets events handled before cutoff: messengers
// redeliver for hours, not weeks.
func (db *DB) PruneChannelEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.X.ExecContext(ctx, `DELETE FROM channel_events WHERE handled_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("pruning channel events: %w", err)
	}
	return res.RowsAffected()
}

// Menu is the numbered list last shown to a person (see channel.Menu).
type Menu struct {
	Version int64    `json:"version"`
	IDs     []string `json:"ids"`
	// ShownAt is when the list was committed to be sent: a number typed
	// before it answered the list shown earlier, and is stale.
	ShownAt time.Time `json:"shown_at"`
}

// SaveMenu keeps the numbered list just shown to the person, or forgets
// it (nil) once a step shows none.
func (tx *Tx) SaveMenu(ctx context.Context, personID int64, m *Menu) error {
	var raw []byte
	if m != nil {
		var err error
		if raw, err = json.Marshal(m); err != nil {
			return fmt.Errorf("encoding menu of %d: %w", personID, err)
		}
	}
	if _, err := tx.X.ExecContext(ctx, `UPDATE conversations SET menu = $2 WHERE person_id = $1`, personID, raw); err != nil {
		return fmt.Errorf("saving menu of %d: %w", personID, err)
	}
	return nil
}

// Menu reads the numbered list last shown to the person; ok is false when
// there is none.
func (tx *Tx) Menu(ctx context.Context, personID int64) (m Menu, ok bool, err error) {
	var raw []byte
	err = tx.X.GetContext(ctx, &raw, `SELECT menu FROM conversations WHERE person_id = $1 AND menu IS NOT NULL`, personID)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("reading menu of %d: %w", personID, err)
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, false, fmt.Errorf("decoding menu of %d: %w", personID, err)
	}
	return m, true, nil
}
