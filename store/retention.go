package store

import (
	"context"
	"fmt"
	"time"
)

// DefaultRetentionMonths is how long a person's data is kept after their
// last contact unless RETENTION_MONTHS says otherwise; the consent texts
// promise it.
const DefaultRetentionMonths = 24

// MessageRetentionMonths is how long the message bodies of a closed case
// are kept.
const MessageRetentionMonths = 12

// RetentionResult says what a retention run erased (or would erase).
type RetentionResult struct {
	DryRun bool
	// People not seen since PeopleCutoff are erased (as by /delete) and
	// their contact row removed.
	PeopleCutoff time.Time
	People       int
	// Message bodies of cases closed before EventsCutoff are dropped.
	EventsCutoff time.Time
	Events       int
}

func retentionCutoffs(now time.Time, months int) (time.Time, time.Time, error) {
	if months < 1 {
		return time.Time{}, time.Time{}, fmt.Errorf("retention: %d months: must be at least 1", months)
	}
	return now.AddDate(0, -months, 0), now.AddDate(0, -MessageRetentionMonths, 0), nil
}

const (
	stalePeopleSQL    = `SELECT id FROM people WHERE erased_at IS NULL AND last_seen_at < $1 ORDER BY id`
	oldBodiesCountSQL = `
SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id
 WHERE c.status = 'closed' AND c.closed_at < $1 AND e.body IS NOT NULL`
	dropOldBodiesSQL = `
UPDATE case_events e SET body = NULL
  FROM cases c
 WHERE c.id = e.case_id AND c.status = 'closed' AND c.closed_at < $1 AND e.body IS NOT NULL`
)

// PreviewRetention counts what RunRetention would erase, writing nothing.
func PreviewRetention(ctx context.Context, db *DB, now time.Time, months int) (RetentionResult, error) {
	pc, ec, err := retentionCutoffs(now, months)
	if err != nil {
		return RetentionResult{}, err
	}
	r := RetentionResult{DryRun: true, PeopleCutoff: pc, EventsCutoff: ec}
	var ids []int64
	if err := db.X.SelectContext(ctx, &ids, stalePeopleSQL, pc); err != nil {
		return r, fmt.Errorf("retention: listing inactive people: %w", err)
	}
	r.People = len(ids)
	if err := db.X.GetContext(ctx, &r.Events, oldBodiesCountSQL, ec); err != nil {
		return r, fmt.Errorf("retention: counting old messages: %w", err)
	}
	return r, nil
}

// RunRetention erases the personal data of people inactive for more than
// months (the same erasure as /delete, then their contact row goes too)
// and the message bodies of cases closed more than 12 months before now.
// Each person is erased in a transaction of their own; run it daily.
func RunRetention(ctx context.Context, db *DB, now time.Time, months int) (RetentionResult, error) {
	pc, ec, err := retentionCutoffs(now, months)
	if err != nil {
		return RetentionResult{}, err
	}
	r := RetentionResult{PeopleCutoff: pc, EventsCutoff: ec}
	res, err := db.X.ExecContext(ctx, dropOldBodiesSQL, ec)
	if err != nil {
		return r, fmt.Errorf("retention: dropping old messages: %w", err)
	}
	n, _ := res.RowsAffected()
	r.Events = int(n)
	var ids []int64
	if err := db.X.SelectContext(ctx, &ids, stalePeopleSQL, pc); err != nil {
		return r, fmt.Errorf("retention: listing inactive people: %w", err)
	}
	for _, id := range ids {
		err := db.InTx(ctx, func(tx *Tx) error {
			// The person may have written meanwhile: their row lock and
			// last_seen_at decide.
			var seen time.Time
			if err := tx.X.GetContext(ctx, &seen, `SELECT last_seen_at FROM people WHERE id = $1 AND erased_at IS NULL FOR UPDATE`, id); err != nil {
				if notFound(err) == ErrNotFound {
					return nil
				}
				return err
			}
			if !seen.Before(pc) {
				return nil
			}
			if _, err := tx.erase(ctx, id, now, "retention"); err != nil {
				return err
			}
			if _, err := tx.X.ExecContext(ctx, `DELETE FROM people WHERE id = $1`, id); err != nil {
				return fmt.Errorf("removing person %d: %w", id, err)
			}
			r.People++
			return nil
		})
		if err != nil {
			return r, fmt.Errorf("retention: %w", err)
		}
	}
	return r, nil
}
