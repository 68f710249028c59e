package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"reentrybot/domain"
)

const conversationSQL = `
SELECT person_id, flow, state, data, version, updated_at
  FROM conversations WHERE person_id = $1`

// Conversation reads the person's conversation; none yet gives a zero one.
func (tx *Tx) Conversation(ctx context.Context, personID int64) (domain.Conversation, error) {
	var c domain.Conversation
	err := tx.getHot(ctx, &c, conversationSQL, personID)
	if notFound(err) == ErrNotFound {
		return domain.Conversation{PersonID: personID, Data: []byte("{}")}, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading conversation of %d: %w", personID, err)
	}
	return c, nil
}

const saveConversationSQL = `
INSERT INTO conversations (person_id, flow, state, data, version, updated_at)
VALUES ($1, $2, $3, $4, 1, $5)
ON CONFLICT (person_id) DO UPDATE
   SET flow = EXCLUDED.flow, state = EXCLUDED.state, data = EXCLUDED.data,
       version = conversations.version + 1, updated_at = EXCLUDED.updated_at, menu = NULL
RETURNING version, updated_at`

// A conversation read from its row is saved with a plain update: the
// upsert would first probe the key, then lock the row (a WAL record of
// its own) before updating it.
const updateConversationSQL = `
UPDATE conversations SET flow = $2, state = $3, data = $4, version = version + 1, updated_at = $5, menu = NULL
 WHERE person_id = $1
RETURNING version, updated_at`

// SaveConversation writes c and bumps its version. The numbered list
// last shown (SaveMenu) is forgotten: a typed number answers only the list
// of the step the person is at.
func (tx *Tx) SaveConversation(ctx context.Context, c *domain.Conversation) error {
	data := c.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	var saved struct {
		Version   int64     `db:"version"`
		UpdatedAt time.Time `db:"updated_at"`
	}
	args := []any{c.PersonID, c.Flow, c.State, []byte(data), tx.db.Now()}
	err := sql.ErrNoRows
	if c.Version > 0 {
		err = tx.getHot(ctx, &saved, updateConversationSQL, args...)
	}
	if errors.Is(err, sql.ErrNoRows) { // none yet, or deleted since it was read
		err = tx.getHot(ctx, &saved, saveConversationSQL, args...)
	}
	if err != nil {
		return fmt.Errorf("saving conversation of %d: %w", c.PersonID, err)
	}
	c.Version, c.UpdatedAt = saved.Version, saved.UpdatedAt
	return nil
}

// A returnee's conversation and whether a counsellor is working on one of
// their cases, read together since every text needs both.
const conversationStateSQL = `
SELECT $1::bigint AS person_id, coalesce(c.flow, '') AS flow, coalesce(c.state, '') AS state,
       coalesce(c.data, '{}') AS data, coalesce(c.version, 0) AS version,
       coalesce(c.updated_at, 'epoch') AS updated_at,
       EXISTS (SELECT 1 FROM cases k WHERE k.person_id = $1 AND k.status IN ('assigned', 'waiting')) AS conversing
  FROM (SELECT) one LEFT JOIN conversations c ON c.person_id = $1`

// ConversationState reads the person's conversation (a zero one when there
// is none, as Conversation) and whether one of their cases is assigned or
// waiting, so that what they write goes to the counsellor.
func (tx *Tx) ConversationState(ctx context.Context, personID int64) (c domain.Conversation, conversing bool, err error) {
	var r struct {
		domain.Conversation
		Conversing bool `db:"conversing"`
	}
	if err := tx.getHot(ctx, &r, conversationStateSQL, personID); err != nil {
		return c, false, fmt.Errorf("reading conversation of %d: %w", personID, err)
	}
	if r.Version == 0 {
		r.UpdatedAt = time.Time{}
	}
	return r.Conversation, r.Conversing, nil
}

const markAnsweredSQL = `
UPDATE conversations c SET answered_version = greatest(c.answered_version, a.version)
  FROM unnest($1::bigint[], $2::bigint[]) AS a (person_id, version)
 WHERE c.person_id = a.person_id AND c.answered_version < a.version`

// MarkAnswered records that the answers to these conversation versions
// (person id → version) went out, in one statement for many.
func (db *DB) MarkAnswered(ctx context.Context, versions map[int64]int64) error {
	ids := make(pq.Int64Array, 0, len(versions))
	vs := make(pq.Int64Array, 0, len(versions))
	for id, v := range versions {
		ids, vs = append(ids, id), append(vs, v)
	}
	if _, err := db.X.ExecContext(ctx, markAnsweredSQL, ids, vs); err != nil {
		return fmt.Errorf("marking %d answers sent: %w", len(ids), err)
	}
	return nil
}

const unansweredSQL = `
SELECT c.person_id FROM conversations c JOIN people p ON p.id = c.person_id
 WHERE c.answered_version < c.version AND p.channel = ANY($1)
   AND c.updated_at < $2 AND c.updated_at > $3
 ORDER BY c.updated_at LIMIT $4`

// Unanswered lists people of the channels whose conversation changed more than
// after before now (but less than within) without its answer being
// recorded as sent.
func (db *DB) Unanswered(ctx context.Context, channels []string, after, within time.Duration, limit int, now time.Time) ([]int64, error) {
	var ids []int64
	if err := db.X.SelectContext(ctx, &ids, unansweredSQL, pq.Array(channels), now.Add(-after), now.Add(-within), limit); err != nil {
		return nil, fmt.Errorf("listing unanswered conversations: %w", err)
	}
	return ids, nil
}

// Unanswered reports whether the person's conversation changed more than
// after ago and is still waiting for its answer, locking the person's row
// (see TouchPerson) so that it is not asked again while one of their
// updates is being handled.
func (tx *Tx) Unanswered(ctx context.Context, personID int64, after time.Duration, now time.Time) (Person, bool, error) {
	var r struct {
		Person
		Waiting bool `db:"waiting"`
	}
	err := tx.X.GetContext(ctx, &r, `
SELECT `+personCols+`,
       coalesce(c.answered_version < c.version AND c.updated_at < $2, false) AS waiting
  FROM people p LEFT JOIN conversations c ON c.person_id = p.id
 WHERE p.id = $1 AND p.erased_at IS NULL
   FOR UPDATE OF p`, personID, now.Add(-after))
	if errors.Is(err, sql.ErrNoRows) {
		return r.Person, false, nil
	}
	if err != nil {
		return r.Person, false, fmt.Errorf("reading the answer state of %d: %w", personID, err)
	}
	return r.Person, r.Waiting, nil
}

// MarkAnswered records the person's conversation as answered as it stands.
func (tx *Tx) MarkAnswered(ctx context.Context, personID int64) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE conversations SET answered_version = version WHERE person_id = $1`, personID); err != nil {
		return fmt.Errorf("marking the answer to %d sent: %w", personID, err)
	}
	return nil
}
