package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// The desk's live updates and its mirror into Telegram (issue 19).

// CaseChange is a case that has something new: a new case (Event 0) or a
// case event. Commune is the case's, for the scope check of each browser.
type CaseChange struct {
	Event   int64          `db:"event_id"`
	Case    int64          `db:"case_id"`
	Commune sql.NullString `db:"commune_code"`
}

// CaseChangesSince reads what is new after the given case and event ids
// (oldest first, at most limit of each). Ids come from sequences, so a
// change may commit after one with a higher id: the caller keeps gaps open
// for a while (desk/live.go).
func (db *DB) CaseChangesSince(ctx context.Context, afterCase, afterEvent int64, limit int) ([]CaseChange, error) {
	var out []CaseChange
	err := db.X.SelectContext(ctx, &out, `
(SELECT 0::bigint AS event_id, id AS case_id, commune_code FROM cases WHERE id > $1 ORDER BY id LIMIT $3)
UNION ALL
(SELECT e.id, e.case_id, c.commune_code FROM case_events e JOIN cases c ON c.id = e.case_id
  WHERE e.id > $2 ORDER BY e.id LIMIT $3)`, afterCase, afterEvent, limit)
	if err != nil {
		return nil, fmt.Errorf("reading case changes: %w", err)
	}
	return out, nil
}

// CaseChangesAmong reads the changes of the given case and event ids that
// exist now (the gaps of an earlier read that have committed since).
func (db *DB) CaseChangesAmong(ctx context.Context, cases, events []int64) ([]CaseChange, error) {
	var out []CaseChange
	err := db.X.SelectContext(ctx, &out, `
SELECT 0::bigint AS event_id, id AS case_id, commune_code FROM cases WHERE id = ANY($1)
UNION ALL
SELECT e.id, e.case_id, c.commune_code FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.id = ANY($2)`,
		pq.Array(cases), pq.Array(events))
	if err != nil {
		return nil, fmt.Errorf("reading late case changes: %w", err)
	}
	return out, nil
}

// LastCaseChange is where a live desk starts: the highest case and event
// ids now.
func (db *DB) LastCaseChange(ctx context.Context) (caseID, eventID int64, err error) {
	err = db.X.QueryRowContext(ctx, `SELECT COALESCE((SELECT max(id) FROM cases), 0), COALESCE((SELECT max(id) FROM case_events), 0)`).Scan(&caseID, &eventID)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the last case change: %w", err)
	}
	return caseID, eventID, nil
}

// DeskSessionLive reports whether a session still holds (not ended, not
// idle past idle, staff active) and reads its member as it is now,
// without marking the session seen: a page left open with live updates
// is not a person at work, so it does not keep the session alive.
func (db *DB) DeskSessionLive(ctx context.Context, tokenHash []byte, idle time.Duration) (DeskSession, bool, error) {
	var s DeskSession
	err := db.X.GetContext(ctx, &s, `
SELECT `+prefixed("s.", staffCols)+`, d.csrf FROM desk_sessions d JOIN staff s ON s.id = d.staff_id
 WHERE d.token_hash = $1 AND d.ended_at IS NULL AND d.last_seen_at > $2 AND s.active`, tokenHash, db.Now().Add(-idle))
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("checking desk session: %w", err)
	}
	return s, true, nil
}

// MirrorToTopic marks a case event made at the desk to be posted in the
// case's topic (bot/casework/bridge.go).
func (tx *Tx) MirrorToTopic(ctx context.Context, eventID, caseID int64) error {
	if _, err := tx.X.ExecContext(ctx, `INSERT INTO desk_mirror (event_id, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, eventID, caseID); err != nil {
		return fmt.Errorf("marking event %d for the topic: %w", eventID, err)
	}
	return nil
}

// NextMirror claims the oldest desk event of a case still to post in the
// topic, locked until the transaction ends (another process skips it).
func (tx *Tx) NextMirror(ctx context.Context, caseID int64) (CaseEvent, bool, error) {
	var e CaseEvent
	err := tx.X.GetContext(ctx, &e, `SELECT `+prefixed("e.", eventCols)+` FROM desk_mirror m JOIN case_events e ON e.id = m.event_id
 WHERE m.case_id = $1 AND m.posted_at IS NULL AND m.error IS NULL
 ORDER BY m.event_id LIMIT 1 FOR UPDATE OF m SKIP LOCKED`, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("claiming the topic post of case %d: %w", caseID, err)
	}
	return e, true, nil
}

// FinishMirror records the post of a desk event (failure "" when posted).
func (tx *Tx) FinishMirror(ctx context.Context, eventID int64, failure string) error {
	_, err := tx.X.ExecContext(ctx, `
UPDATE desk_mirror SET posted_at = CASE WHEN $2 = '' THEN $3::timestamptz END, error = NULLIF($2, '') WHERE event_id = $1`,
		eventID, failure, tx.db.Now())
	if err != nil {
		return fmt.Errorf("finishing the topic post of event %d: %w", eventID, err)
	}
	return nil
}

// PendingMirrors lists the cases with desk events still to post.
func (db *DB) PendingMirrors(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := db.X.SelectContext(ctx, &ids, `SELECT DISTINCT case_id FROM desk_mirror WHERE posted_at IS NULL AND error IS NULL ORDER BY case_id`); err != nil {
		return nil, fmt.Errorf("listing pending topic posts: %w", err)
	}
	return ids, nil
}
