package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
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
// update's mark in the inbox and the people upsert in one round trip. A
// staff member's update, one handled before, or one with an earlier update
// of the chat still unhandled (store/inbox.go) marks nothing and returns
// no row.
const seenAndTouchSQL = `
WITH seen AS (
  INSERT INTO inbox (channel, event_id, address, received_at, handled_at)
  SELECT 'telegram', $5::text, $3, $7, $7 WHERE NOT EXISTS (SELECT 1 FROM staff WHERE telegram_user_id = $6 AND active)
     AND NOT EXISTS (` + earlierPendingSQL + `)
  ON CONFLICT (channel, event_id) DO UPDATE SET handled_at = EXCLUDED.handled_at, event = NULL
   WHERE inbox.handled_at IS NULL
  RETURNING id)
INSERT INTO people (channel, external_id, chat_ref, language, created_at, last_seen_at)
SELECT $1, $2, $3, $4, $7, $7 FROM seen
ON CONFLICT (channel, external_id) DO UPDATE
   SET last_seen_at = ` + lastSeenHourSQL + `, chat_ref = EXCLUDED.chat_ref,
       reachable = true, unreachable_at = NULL, unreachable_why = NULL
RETURNING ` + personCols

// SeenAndTouch is MarkUpdateSeen followed by TouchPerson, in one statement,
// unless telegramUserID is active staff. ok is false, with nothing
// written, when the update was handled before (a concurrent handler of the
// same update blocks until the other ends) or comes from staff: the caller
// tells which apart, both being rare.
func (tx *Tx) SeenAndTouch(ctx context.Context, updateID, telegramUserID int64, channel, externalID, chatRef, lang string) (p Person, ok bool, err error) {
	err = tx.getHot(ctx, &p, seenAndTouchSQL, channel, externalID, chatRef, lang, strconv.FormatInt(updateID, 10), telegramUserID, tx.db.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("update %d from %s/%s: %w", updateID, channel, externalID, err)
	}
	return p, true, nil
}
