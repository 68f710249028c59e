package store

import (
	"context"
	"fmt"
	"strconv"
)

// Telegram's updates go through the intake inbox like every channel's
// events: channel "telegram", event id the update id, address the chat.
// Handling an update marks its row handled in the handling transaction;
// an update handled without passing the inbox (a test's direct call) gets
// a handled row all the same, so a redelivery is recognised.
const markSeenSQL = `
INSERT INTO inbox (channel, event_id, address, received_at, handled_at)
VALUES ('telegram', $1, $2, $3, $3)
ON CONFLICT (channel, event_id) DO UPDATE SET handled_at = EXCLUDED.handled_at, event = NULL
 WHERE inbox.handled_at IS NULL`

// MarkUpdateSeen records updateID (of chat) as handled in this
// transaction. It returns false when the update was handled before; a
// concurrent handler of the same update blocks here until the other one
// commits or rolls back.
func (tx *Tx) MarkUpdateSeen(ctx context.Context, updateID, chat int64) (bool, error) {
	res, err := tx.X.ExecContext(ctx, markSeenSQL, strconv.FormatInt(updateID, 10), strconv.FormatInt(chat, 10), tx.db.Now())
	if err != nil {
		return false, fmt.Errorf("marking update %d seen: %w", updateID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("marking update %d seen: %w", updateID, err)
	}
	return n == 1, nil
}

const updateSeenSQL = `SELECT EXISTS (SELECT 1 FROM inbox WHERE channel = 'telegram' AND event_id = $1 AND handled_at IS NOT NULL)`

// UpdateSeen reports whether updateID was handled.
func (db *DB) UpdateSeen(ctx context.Context, updateID int64) (bool, error) {
	var ok bool
	if err := db.X.GetContext(ctx, &ok, updateSeenSQL, strconv.FormatInt(updateID, 10)); err != nil {
		return false, fmt.Errorf("reading update %d: %w", updateID, err)
	}
	return ok, nil
}

// OldestInboxEvents are the address's oldest unhandled events, up to
// limit, without a lock: the handling transaction's mark (MarkUpdateSeen)
// is what makes each once, and an event is only offered after every
// earlier one of the address has committed, which keeps a chat's order
// across processes. Telegram's are ordered by update id (webhook
// deliveries may overtake one another), others by arrival.
func (db *DB) OldestInboxEvents(ctx context.Context, channel, address string, limit int) ([]InboxEvent, error) {
	var out []InboxEvent
	if err := db.selectHot(ctx, &out, oldestInboxSQL, channel, address, limit); err != nil {
		return nil, fmt.Errorf("reading the inbox of %s:%s: %w", channel, address, err)
	}
	return out, nil
}

const oldestInboxSQL = `
SELECT id, channel, event_id, address, event, received_at FROM inbox
 WHERE channel = $1 AND address = $2 AND handled_at IS NULL
 ORDER BY CASE WHEN channel = 'telegram' THEN length(event_id) END, CASE WHEN channel = 'telegram' THEN event_id END, id
 LIMIT $3`

// FinishInboxEventOnce marks an event handled unless it is already; it
// returns whether it did.
func (db *DB) FinishInboxEventOnce(ctx context.Context, id int64) (bool, error) {
	res, err := db.X.ExecContext(ctx, `UPDATE inbox SET handled_at = $2, event = NULL WHERE id = $1 AND handled_at IS NULL`, id, db.Now())
	if err != nil {
		return false, fmt.Errorf("finishing inbox event %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
