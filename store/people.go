package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/domain"
)

// Person is a row of people, as the transport needs it.
type Person struct {
	ID               int64     `db:"id"`
	Channel          string    `db:"channel"`
	ExternalID       string    `db:"external_id"`
	ChatRef          string    `db:"chat_ref"`
	Language         string    `db:"language"`
	Reachable        bool      `db:"reachable"`
	AnnouncementsOff bool      `db:"announcements_off"`
	CreatedAt        time.Time `db:"created_at"`
	LastSeenAt       time.Time `db:"last_seen_at"`
}

const personCols = `id, channel, external_id, chat_ref, language, reachable, announcements_off, created_at, last_seen_at`

// The upsert also locks the person's row for the rest of the transaction,
// which serialises one person's updates across bot processes.
const upsertPersonSQL = `
INSERT INTO people (channel, external_id, chat_ref, language, created_at, last_seen_at)
VALUES ($1, $2, $3, $4, $5, $5)
ON CONFLICT (channel, external_id) DO UPDATE
   SET last_seen_at = EXCLUDED.last_seen_at, chat_ref = EXCLUDED.chat_ref,
       reachable = true, unreachable_at = NULL, unreachable_why = NULL
RETURNING ` + personCols

// TouchPerson creates the person on first contact (in language lang) or
// marks them seen, and locks their row until the transaction ends.
// Writing to the bot means they are reachable again.
func (tx *Tx) TouchPerson(ctx context.Context, channel, externalID, chatRef, lang string) (Person, error) {
	var p Person
	if err := tx.X.GetContext(ctx, &p, upsertPersonSQL, channel, externalID, chatRef, lang, tx.db.Now()); err != nil {
		return p, fmt.Errorf("touching person %s/%s: %w", channel, externalID, err)
	}
	return p, nil
}

const personByIDSQL = `SELECT ` + personCols + ` FROM people WHERE id = $1`

// PersonByID reads one person.
func (db *DB) PersonByID(ctx context.Context, id int64) (Person, error) {
	var p Person
	if err := db.X.GetContext(ctx, &p, personByIDSQL, id); err != nil {
		return p, fmt.Errorf("reading person %d: %w", id, notFound(err))
	}
	return p, nil
}

const personByExternalSQL = `SELECT ` + personCols + ` FROM people WHERE channel = $1 AND external_id = $2`

// PersonByExternal reads the person known on channel by externalID.
func (db *DB) PersonByExternal(ctx context.Context, channel, externalID string) (Person, error) {
	var p Person
	if err := db.X.GetContext(ctx, &p, personByExternalSQL, channel, externalID); err != nil {
		return p, fmt.Errorf("reading person %s/%s: %w", channel, externalID, notFound(err))
	}
	return p, nil
}

const markUnreachableSQL = `
UPDATE people SET reachable = false, unreachable_at = $4, unreachable_why = $3
 WHERE channel = $1 AND chat_ref = $2 AND reachable`

// MarkUnreachable records that messages to chatRef can no longer be
// delivered (the person blocked the bot or deleted the account).
func (db *DB) MarkUnreachable(ctx context.Context, channel, chatRef, why string) error {
	return markUnreachable(ctx, db.X, db.Now(), channel, chatRef, why)
}

// MarkUnreachable is DB.MarkUnreachable inside a transaction.
func (tx *Tx) MarkUnreachable(ctx context.Context, channel, chatRef, why string) error {
	return markUnreachable(ctx, tx.X, tx.db.Now(), channel, chatRef, why)
}

func markUnreachable(ctx context.Context, q sqlx.ExecerContext, at time.Time, channel, chatRef, why string) error {
	if _, err := q.ExecContext(ctx, markUnreachableSQL, channel, chatRef, why, at); err != nil {
		return fmt.Errorf("marking %s/%s unreachable: %w", channel, chatRef, err)
	}
	return nil
}

const reachableSQL = `SELECT reachable FROM people WHERE channel = $1 AND chat_ref = $2`

// Reachable reports whether chatRef may be sent to; unknown chats (groups,
// staff) are reachable.
func (db *DB) Reachable(ctx context.Context, channel, chatRef string) (bool, error) {
	var ok bool
	err := db.X.GetContext(ctx, &ok, reachableSQL, channel, chatRef)
	if err != nil {
		if notFound(err) == ErrNotFound {
			return true, nil
		}
		return false, fmt.Errorf("reading reachability of %s/%s: %w", channel, chatRef, err)
	}
	return ok, nil
}

const setLanguageSQL = `UPDATE people SET language = $2 WHERE id = $1`

// SetLanguage stores the person's chosen language.
func (tx *Tx) SetLanguage(ctx context.Context, personID int64, lang string) error {
	if _, err := tx.X.ExecContext(ctx, setLanguageSQL, personID, lang); err != nil {
		return fmt.Errorf("setting language of %d: %w", personID, err)
	}
	return nil
}

// The first statement of a returnee's update: the staff check, the
// update's mark in the inbox, the people upsert and the conversation read
// in one round trip. A staff member's update, one handled before, or one
// with an earlier update of the chat still unhandled (store/inbox.go)
// marks nothing and returns no row.
//
// The conversation (and whether a counsellor holds a case) is read in the
// statement's snapshot, taken before the upsert waited for the person's
// row lock: a handling of the same person by another process committed
// during that wait would not be seen. fresh tells: the version of the
// person's row the upsert replaced is the one the snapshot saw (its xmax
// is now this transaction's id, read after the upsert; a row written
// meanwhile, or created meanwhile, leaves another value or none). Every
// writer of a conversation that holds the person's lock has written the
// person's row first (an update's handling touches the person; erasure
// blanks it); the lockers that write neither (Unanswered, retention's
// check) change nothing the read returns.
var seenAndTouchSQL = `
WITH seen AS (
  INSERT INTO inbox (channel, event_id, address, received_at, handled_at)
  SELECT 'telegram', $5::text, $3, $7, $7 WHERE NOT EXISTS (SELECT 1 FROM staff WHERE telegram_user_id = $6 AND active)
     AND NOT EXISTS (` + earlierPendingSQL + `)
  ON CONFLICT (channel, event_id) DO UPDATE SET handled_at = EXCLUDED.handled_at, event = NULL
   WHERE inbox.handled_at IS NULL
  RETURNING id),
` + touchedAndStateSQL("seen", "$7")

// touchedAndStateSQL is the people upsert of TouchPerson (as a CTE taking
// its one row from the CTE from, $1–$4 as TouchPerson's arguments, at the
// time at) followed by the read of ConversationState and the freshness
// check explained at seenAndTouchSQL.
func touchedAndStateSQL(from, at string) string {
	return `touched AS (
INSERT INTO people (channel, external_id, chat_ref, language, created_at, last_seen_at)
SELECT $1, $2, $3, $4, ` + at + `, ` + at + ` FROM ` + from + `
ON CONFLICT (channel, external_id) DO UPDATE
   SET last_seen_at = ` + lastSeenHourSQL + `, chat_ref = EXCLUDED.chat_ref,
       reachable = true, unreachable_at = NULL, unreachable_why = NULL
RETURNING ` + personCols + `, xmin AS writer)
SELECT t.id, t.channel, t.external_id, t.chat_ref, t.language, t.reachable, t.announcements_off, t.created_at, t.last_seen_at,
       t.id AS person_id, coalesce(c.flow, '') AS flow, coalesce(c.state, '') AS state,
       coalesce(c.data, '{}') AS data, coalesce(c.version, 0) AS version,
       coalesce(c.updated_at, 'epoch') AS updated_at,
       EXISTS (SELECT 1 FROM cases k WHERE k.person_id = t.id AND k.status IN ('assigned', 'waiting')) AS conversing,
       coalesce((SELECT p.xmax = t.writer FROM people p WHERE p.channel = $1 AND p.external_id = $2), false) AS fresh
  FROM touched t LEFT JOIN LATERAL (SELECT * FROM conversations WHERE person_id = t.id) c ON true`
}

// Returnee is what the first statement of a returnee's update found.
type Returnee struct {
	Person
	Conv       domain.Conversation
	Conversing bool // one of their cases is assigned or waiting
	// Fresh: Conv and Conversing are as of the person's lock; otherwise
	// they may predate another handling of the person and must be read
	// again (ConversationState).
	Fresh bool
}

// SeenTouchAndState is MarkUpdateSeen, TouchPerson and ConversationState
// in one statement, unless telegramUserID is active staff. ok is false,
// with nothing written, when the update was handled before (a concurrent
// handler of the same update blocks until the other ends) or comes from
// staff: the caller tells which apart, both being rare.
func (tx *Tx) SeenTouchAndState(ctx context.Context, updateID, telegramUserID int64, channel, externalID, chatRef, lang string) (r Returnee, ok bool, err error) {
	r, err = tx.returnee(ctx, seenAndTouchSQL, channel, externalID, chatRef, lang, strconv.FormatInt(updateID, 10), telegramUserID, tx.db.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("update %d from %s/%s: %w", updateID, channel, externalID, err)
	}
	return r, true, nil
}

var touchAndStateSQL = `WITH one AS (SELECT), ` + touchedAndStateSQL("one", "$5")

// TouchAndState is TouchPerson and ConversationState in one statement.
func (tx *Tx) TouchAndState(ctx context.Context, channel, externalID, chatRef, lang string) (Returnee, error) {
	r, err := tx.returnee(ctx, touchAndStateSQL, channel, externalID, chatRef, lang, tx.db.Now())
	if err != nil {
		return r, fmt.Errorf("touching person %s/%s: %w", channel, externalID, err)
	}
	return r, nil
}

func (tx *Tx) returnee(ctx context.Context, query string, args ...any) (Returnee, error) {
	var row struct {
		Person
		domain.Conversation
		Conversing bool `db:"conversing"`
		Fresh      bool `db:"fresh"`
	}
	if err := tx.getHot(ctx, &row, query, args...); err != nil {
		return Returnee{}, err
	}
	if row.Conversation.Version == 0 {
		row.Conversation.UpdatedAt = time.Time{}
	}
	return Returnee{Person: row.Person, Conv: row.Conversation, Conversing: row.Conversing, Fresh: row.Fresh}, nil
}
