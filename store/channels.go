package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// InboxEvent is one event of a channel's intake inbox.
type InboxEvent struct {
	ID         int64           `db:"id"`
	Channel    string          `db:"channel"`
	EventID    string          `db:"event_id"`
	Address    string          `db:"address"` // the person's ref on the channel
	Event      json.RawMessage `db:"event"`   // the channel's event, as the bot encoded it
	ReceivedAt time.Time       `db:"received_at"`
}

// AddToInbox writes events durably in one statement; a redelivered event
// (same channel and event id) is ignored. It returns how many were new.
func (db *DB) AddToInbox(ctx context.Context, evs []InboxEvent) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	var ch, ids, addrs, payloads []string
	for _, e := range evs {
		ch, ids, addrs, payloads = append(ch, e.Channel), append(ids, e.EventID), append(addrs, e.Address), append(payloads, string(e.Event))
	}
	res, err := db.X.ExecContext(ctx, `
INSERT INTO inbox (channel, event_id, address, event, received_at)
SELECT c, e, a, p::jsonb, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(c, e, a, p, n)
 ORDER BY n
ON CONFLICT (channel, event_id) DO NOTHING`, pq.Array(ch), pq.Array(ids), pq.Array(addrs), pq.Array(payloads), db.Now())
	if err != nil {
		return 0, fmt.Errorf("writing %d events to the inbox: %w", len(evs), err)
	}
	return res.RowsAffected()
}

// NextInboxEvent takes the person's oldest unhandled event, after locking
// the person's address for the transaction: one process handles a person's
// events at a time, in the order they arrived.
func (tx *Tx) NextInboxEvent(ctx context.Context, channel, address string) (InboxEvent, bool, error) {
	if _, err := tx.X.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))`, channel, address); err != nil {
		return InboxEvent{}, false, fmt.Errorf("locking %s:%s: %w", channel, address, err)
	}
	var e InboxEvent
	err := tx.X.GetContext(ctx, &e, `
SELECT id, channel, event_id, address, event, received_at FROM inbox
 WHERE channel = $1 AND address = $2 AND handled_at IS NULL
 ORDER BY id LIMIT 1`, channel, address)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("reading the inbox of %s:%s: %w", channel, address, err)
	}
	return e, true, nil
}

// FinishInboxEvent marks an event handled and drops what the person wrote.
func (tx *Tx) FinishInboxEvent(ctx context.Context, id int64) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE inbox SET handled_at = $2, event = NULL WHERE id = $1`, id, tx.db.Now()); err != nil {
		return fmt.Errorf("finishing inbox event %d: %w", id, err)
	}
	return nil
}

// InboxAddress is a person with unhandled events.
type InboxAddress struct {
	Channel string `db:"channel"`
	Address string `db:"address"`
}

// PendingInbox lists people with unhandled events (after a crash, or
// those another process gave up), oldest first.
func (db *DB) PendingInbox(ctx context.Context, limit int) ([]InboxAddress, error) {
	var out []InboxAddress
	if err := db.X.SelectContext(ctx, &out, `
SELECT channel, address FROM inbox WHERE handled_at IS NULL
 GROUP BY channel, address ORDER BY min(id) LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("listing the pending inbox: %w", err)
	}
	return out, nil
}

// PruneInbox forgets events handled before cutoff: messengers redeliver
// for hours, not weeks.
func (db *DB) PruneInbox(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := db.X.ExecContext(ctx, `DELETE FROM inbox WHERE handled_at < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("pruning the inbox: %w", err)
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

const lockAddressSQL = `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || $2, 0))::text`

// The person's oldest unhandled event, marked handled in the same
// statement; what they wrote comes back from the row as it was.
const takeInboxEventSQL = `
UPDATE inbox i SET handled_at = $3, event = NULL
  FROM (SELECT id, event FROM inbox WHERE channel = $1 AND address = $2 AND handled_at IS NULL ORDER BY id LIMIT 1) e
 WHERE i.id = e.id
RETURNING i.id, i.channel, i.event_id, i.address, e.event, i.received_at`

// TakeInboxEvent is NextInboxEvent and FinishInboxEvent in two prepared
// statements instead of three unprepared ones: the address lock, then the
// oldest event taken and marked. The lock comes in a statement of its own
// so that the read's snapshot follows it (an event another process
// handled while this one waited is not taken again).
func (tx *Tx) TakeInboxEvent(ctx context.Context, channel, address string) (InboxEvent, bool, error) {
	var void string
	if err := tx.getHot(ctx, &void, lockAddressSQL, channel, address); err != nil {
		return InboxEvent{}, false, fmt.Errorf("locking %s:%s: %w", channel, address, err)
	}
	var e InboxEvent
	err := tx.getHot(ctx, &e, takeInboxEventSQL, channel, address, tx.db.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("taking from the inbox of %s:%s: %w", channel, address, err)
	}
	return e, true, nil
}
