package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Health is the service's state in its own terms, read when metrics are
// scraped (so a stopped or stuck bot shows too: the figures come from the
// database, not from the process's memory).
type Health struct {
	OpenCases int64 `db:"open_cases"`
	// OldestUnanswered is the age of the oldest open case nobody has
	// answered yet; zero when there is none.
	OldestUnanswered  time.Duration `db:"-"`
	PendingDeliveries int64         `db:"pending_deliveries"`
	PendingRelays     int64         `db:"pending_relays"`
	// LastUpdate is when the last Telegram update was handled; zero when
	// none has been (or the record was pruned).
	LastUpdate time.Time `db:"-"`
}

// Each count is served by a partial index (cases_queue, deliveries_open,
// case_events_pending, inbox_handled_at), so a scrape stays cheap.
const healthQuery = `
SELECT (SELECT count(*) FROM cases WHERE status <> 'closed') AS open_cases,
       (SELECT min(opened_at) FROM cases WHERE status <> 'closed' AND first_response_at IS NULL) AS oldest_unanswered,
       (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')) AS pending_deliveries,
       (SELECT count(*) FROM case_events WHERE relay_to IS NOT NULL AND relayed_at IS NULL AND relay_error IS NULL) AS pending_relays,
       (SELECT max(handled_at) FROM inbox WHERE handled_at IS NOT NULL) AS last_update`

// Health reads the figures the metrics endpoint reports.
func (db *DB) Health(ctx context.Context) (Health, error) {
	var row struct {
		Health
		Oldest sql.NullTime `db:"oldest_unanswered"`
		Last   sql.NullTime `db:"last_update"`
	}
	if err := db.X.GetContext(ctx, &row, healthQuery); err != nil {
		return Health{}, fmt.Errorf("reading health figures: %w", err)
	}
	h := row.Health
	if row.Oldest.Valid {
		h.OldestUnanswered = db.Now().Sub(row.Oldest.Time) // the program's clock stamped it
	}
	if row.Last.Valid {
		h.LastUpdate = row.Last.Time
	}
	return h, nil
}
