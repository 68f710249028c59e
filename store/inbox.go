package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// AddTelegramToInbox is AddToInbox for Telegram's updates, returning the
// event ids it wrote: those the receiving process may hand to its lane
// from memory (nothing to read back); a redelivered one wrote nothing and
// is left to the inbox's own reading.
func (db *DB) AddTelegramToInbox(ctx context.Context, evs []InboxEvent) (map[string]bool, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	ids, addrs, payloads := make([]string, len(evs)), make([]string, len(evs)), make([]string, len(evs))
	for i, e := range evs {
		ids[i], addrs[i], payloads[i] = e.EventID, e.Address, string(e.Event)
	}
	var fresh []string
	if err := db.selectHot(ctx, &fresh, addTelegramSQL, pq.Array(ids), pq.Array(addrs), pq.Array(payloads), db.Now()); err != nil {
		return nil, fmt.Errorf("writing %d updates to the inbox: %w", len(evs), err)
	}
	out := make(map[string]bool, len(fresh))
	for _, id := range fresh {
		out[id] = true
	}
	return out, nil
}

const addTelegramSQL = `
INSERT INTO inbox (channel, event_id, address, event, received_at)
SELECT 'telegram', e, a, p::jsonb, $4 FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(e, a, p, n)
 ORDER BY n
ON CONFLICT (channel, event_id) DO NOTHING
RETURNING event_id`

// earlierPendingSQL finds an unhandled update of chat $3 that comes before
// update $5 (in update id order, as OldestInboxEvents offers them). The
// handling statement refuses to mark an update while there is one: a
// process handling an update from memory, without reading the inbox, must
// not overtake an earlier update another process wrote (webhook
// deliveries to several processes) or a crash left behind. An earlier
// update written after the statement's snapshot is being written
// concurrently, and came too late to keep the order anyway.
const earlierPendingSQL = `SELECT 1 FROM inbox e WHERE e.channel = 'telegram' AND e.address = $3 AND e.handled_at IS NULL
 AND (length(e.event_id), e.event_id) < (length($5::text), $5::text)`

// lastSeenHourSQL keeps a person's last_seen_at when it is less than an
// hour old: it is indexed (people_last_seen, for retention), so a changed
// value makes every update of the person's row write a new entry in each
// of the people's indexes, where an unchanged one lets PostgreSQL update
// the row in place (a HOT update). Retention counts in months; the data
// export's "last contact" is to the hour.
const lastSeenHourSQL = `CASE WHEN people.last_seen_at BETWEEN EXCLUDED.last_seen_at - interval '1 hour' AND EXCLUDED.last_seen_at
 THEN people.last_seen_at ELSE EXCLUDED.last_seen_at END`
