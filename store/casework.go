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

// CaseStatus is where a case stands.
type CaseStatus string

const (
	CaseNew      CaseStatus = "new"
	CaseAssigned CaseStatus = "assigned" // a counsellor's turn
	CaseWaiting  CaseStatus = "waiting"  // waiting on the returnee
	CaseClosed   CaseStatus = "closed"
)

// Directions a case event is relayed in (NewEvent.RelayTo).
const (
	RelayTopic    = "topic"    // to the counsellors: the case's topic, or the private chat of who took it
	RelayReturnee = "returnee" // to the returnee
)

// Outcomes a case can be closed with.
var Outcomes = []string{"job_found", "enrolled", "loan_referred", "referred_elsewhere", "no_longer_needed", "unreachable"}

// Case is a case as the counsellors' side sees it.
type Case struct {
	ID              int64           `db:"id"`
	PersonID        int64           `db:"person_id"`
	Kind            string          `db:"kind"`
	Status          CaseStatus      `db:"status"`
	CommuneCode     sql.NullString  `db:"commune_code"`
	Answers         json.RawMessage `db:"answers"`
	OpenedAt        time.Time       `db:"opened_at"`
	UpdatedAt       time.Time       `db:"updated_at"`
	FirstResponseAt sql.NullTime    `db:"first_response_at"`
	ClosedAt        sql.NullTime    `db:"closed_at"`
	Outcome         sql.NullString  `db:"outcome"`
	Rating          sql.NullInt64   `db:"rating"`
	AssigneeStaffID sql.NullInt64   `db:"assignee_staff_id"`
	TopicChatID     sql.NullInt64   `db:"topic_chat_id"`
	TopicThreadID   sql.NullInt64   `db:"topic_thread_id"`
	TopicCardMsgID  sql.NullInt64   `db:"topic_card_msg_id"`
	// Joined for display.
	CommuneName   sql.NullString `db:"commune_name"`
	AssigneeName  sql.NullString `db:"assignee_name"`
	PersonChat    string         `db:"person_chat"`
	PersonChannel string         `db:"person_channel"`
	PersonLang    string         `db:"person_lang"`
}

// Open reports whether the case is not closed.
func (c Case) Open() bool { return c.Status != CaseClosed }

const caseSelect = `
SELECT c.id, c.person_id, c.kind, c.status, c.commune_code, c.answers, c.opened_at, c.updated_at,
       c.first_response_at, c.closed_at, c.outcome, c.rating, c.assignee_staff_id,
       c.topic_chat_id, c.topic_thread_id, c.topic_card_msg_id,
       m.name AS commune_name, s.display_name AS assignee_name, p.chat_ref AS person_chat, p.channel AS person_channel, p.language AS person_lang
  FROM cases c
  JOIN people p ON p.id = c.person_id
  LEFT JOIN communes m ON m.code = c.commune_code
  LEFT JOIN staff s ON s.id = c.assignee_staff_id`

// Case reads a case and locks it for the transaction. It locks first and
// reads after: a statement that waited for the lock sees the case row's
// new version but the joined rows (the assignee's name) of its own older
// snapshot, so a second taker would be told "taken by" nobody.
func (tx *Tx) Case(ctx context.Context, id int64) (Case, error) {
	var c Case
	if _, err := tx.X.ExecContext(ctx, `SELECT 1 FROM cases WHERE id = $1 FOR UPDATE`, id); err != nil {
		return c, fmt.Errorf("locking case %d: %w", id, err)
	}
	if err := tx.X.GetContext(ctx, &c, caseSelect+` WHERE c.id = $1`, id); err != nil {
		return c, fmt.Errorf("reading case %d: %w", id, notFound(err))
	}
	return c, nil
}

// CaseByTopic finds the case whose topic is (chat, thread).
func (tx *Tx) CaseByTopic(ctx context.Context, chatID int64, threadID int) (Case, error) {
	var c Case
	if err := tx.X.GetContext(ctx, &c, caseSelect+` WHERE c.topic_chat_id = $1 AND c.topic_thread_id = $2 FOR UPDATE OF c`, chatID, threadID); err != nil {
		return c, fmt.Errorf("reading case of topic %d/%d: %w", chatID, threadID, notFound(err))
	}
	return c, nil
}

// ConversingCase returns the person's case a counsellor is working on
// (assigned or waiting), the most recently active first.
func (tx *Tx) ConversingCase(ctx context.Context, personID int64) (Case, bool, error) {
	var c Case
	err := tx.X.GetContext(ctx, &c, caseSelect+`
 WHERE c.person_id = $1 AND c.status IN ('assigned', 'waiting')
 ORDER BY c.updated_at DESC LIMIT 1 FOR UPDATE OF c`, personID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("reading conversing case of %d: %w", personID, err)
	}
	return c, true, nil
}

// ReopenableCase returns the person's case closed since `since` when they
// have no open case of that kind, the most recently closed first.
func (tx *Tx) ReopenableCase(ctx context.Context, personID int64, since time.Time) (Case, bool, error) {
	var c Case
	err := tx.X.GetContext(ctx, &c, caseSelect+`
 WHERE c.person_id = $1 AND c.status = 'closed' AND c.closed_at >= $2
   AND NOT EXISTS (SELECT 1 FROM cases o WHERE o.person_id = c.person_id AND o.kind = c.kind AND o.status <> 'closed')
 ORDER BY c.closed_at DESC LIMIT 1 FOR UPDATE OF c`, personID, since)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("reading reopenable case of %d: %w", personID, err)
	}
	return c, true, nil
}

// SetCaseStatus moves a case; assignee 0 leaves the assignee as it is.
func (tx *Tx) SetCaseStatus(ctx context.Context, id int64, st CaseStatus, assignee int64) error {
	_, err := tx.X.ExecContext(ctx, `
UPDATE cases SET status = $2, updated_at = $4,
       assignee_staff_id = CASE WHEN $3 = 0 THEN assignee_staff_id ELSE $3 END
 WHERE id = $1`, id, st, assignee, tx.db.Now())
	if err != nil {
		return fmt.Errorf("moving case %d to %s: %w", id, st, err)
	}
	return nil
}

// MarkFirstResponse records the first counsellor answer's time, once.
func (tx *Tx) MarkFirstResponse(ctx context.Context, id int64, at time.Time) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE cases SET first_response_at = $2 WHERE id = $1 AND first_response_at IS NULL`, id, at); err != nil {
		return fmt.Errorf("first response of case %d: %w", id, err)
	}
	return nil
}

// CloseCase closes an open case with an outcome.
func (tx *Tx) CloseCase(ctx context.Context, id int64, outcome string, at time.Time) error {
	_, err := tx.X.ExecContext(ctx, `
UPDATE cases SET status = 'closed', outcome = $2, closed_at = $3, updated_at = $3, rating = NULL
 WHERE id = $1 AND status <> 'closed'`, id, outcome, at)
	if err != nil {
		return fmt.Errorf("closing case %d: %w", id, err)
	}
	return nil
}

// ReopenCase opens a closed case again, with its counsellor if it had one.
func (tx *Tx) ReopenCase(ctx context.Context, id int64) error {
	_, err := tx.X.ExecContext(ctx, `
UPDATE cases SET status = CASE WHEN assignee_staff_id IS NULL THEN 'new' ELSE 'assigned' END,
       closed_at = NULL, outcome = NULL, updated_at = $2
 WHERE id = $1 AND status = 'closed'`, id, tx.db.Now())
	if err != nil {
		return fmt.Errorf("reopening case %d: %w", id, err)
	}
	return nil
}

// RateCase stores the person's 1–5 answer on their own closed case; false
// when the case is not theirs, not closed, or already rated.
func (tx *Tx) RateCase(ctx context.Context, id, personID int64, rating int) (bool, error) {
	res, err := tx.X.ExecContext(ctx, `
UPDATE cases SET rating = $3 WHERE id = $1 AND person_id = $2 AND status = 'closed' AND rating IS NULL`, id, personID, rating)
	if err != nil {
		return false, fmt.Errorf("rating case %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetCaseTopic records the staff-group topic of a case and its card.
func (tx *Tx) SetCaseTopic(ctx context.Context, id, chatID int64, threadID, cardMsgID int) error {
	_, err := tx.X.ExecContext(ctx, `
UPDATE cases SET topic_chat_id = $2, topic_thread_id = $3, topic_card_msg_id = $4 WHERE id = $1`,
		id, chatID, threadID, sql.NullInt64{Int64: int64(cardMsgID), Valid: cardMsgID != 0})
	if err != nil {
		return fmt.Errorf("setting topic of case %d: %w", id, err)
	}
	return nil
}

// CaseEvent is one thing said or done on a case.
type CaseEvent struct {
	ID        int64          `db:"id"`
	CaseID    int64          `db:"case_id"`
	At        time.Time      `db:"at"`
	Actor     string         `db:"actor"`
	StaffID   sql.NullInt64  `db:"staff_id"`
	Kind      string         `db:"kind"`
	Body      sql.NullString `db:"body"`
	Media     sql.NullString `db:"media"`
	SrcChatID sql.NullInt64  `db:"src_chat_id"`
	SrcMsgID  sql.NullInt64  `db:"src_msg_id"`
	RelayTo   sql.NullString `db:"relay_to"`
	// MediaRef: where the person's channel can fetch the file of a media
	// event sent on another messenger than Telegram; MediaName its name.
	MediaRef  sql.NullString `db:"media_ref"`
	MediaName sql.NullString `db:"media_name"`
}

// NewEvent is what AddCaseEvent writes.
type NewEvent struct {
	CaseID    int64
	Actor     string // returnee, staff, system
	StaffID   int64
	Kind      string // message, note, assigned, closed, reopened, rated, unreachable, ...
	Body      string
	Media     string
	SrcChatID int64
	SrcMsgID  int
	MediaRef  string // the person's channel's reference of a file (CaseEvent.MediaRef)
	MediaName string
	RelayTo   string    // RelayTopic, RelayReturnee or "" for none
	At        time.Time // zero: the store's clock
}

func optStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func optInt(n int64) sql.NullInt64   { return sql.NullInt64{Int64: n, Valid: n != 0} }

// AddCaseEvent appends an event; one with RelayTo is sent by the relay
// after commit.
func (tx *Tx) AddCaseEvent(ctx context.Context, e NewEvent) (int64, error) {
	var id int64
	err := tx.X.GetContext(ctx, &id, `
INSERT INTO case_events (case_id, actor, staff_id, kind, body, media, src_chat_id, src_msg_id, relay_to, at, media_ref, media_name)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		e.CaseID, e.Actor, optInt(e.StaffID), e.Kind, optStr(e.Body), optStr(e.Media),
		optInt(e.SrcChatID), optInt(int64(e.SrcMsgID)), optStr(e.RelayTo), tx.db.at(e.At), optStr(e.MediaRef), optStr(e.MediaName))
	if err != nil {
		return 0, fmt.Errorf("adding %s event to case %d: %w", e.Kind, e.CaseID, err)
	}
	return id, nil
}

const eventCols = `id, case_id, at, actor, staff_id, kind, body, media, src_chat_id, src_msg_id, relay_to, media_ref, media_name`

// NextRelay claims the oldest unsent event of a case going `to`, locked
// for the transaction (other processes skip it).
func (tx *Tx) NextRelay(ctx context.Context, caseID int64, to string) (CaseEvent, bool, error) {
	var e CaseEvent
	err := tx.X.GetContext(ctx, &e, `SELECT `+eventCols+` FROM case_events
 WHERE case_id = $1 AND relay_to = $2 AND relayed_at IS NULL AND relay_error IS NULL
 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`, caseID, to)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("claiming relay of case %d: %w", caseID, err)
	}
	return e, true, nil
}

// FinishRelay marks an event sent, or failed for good with reason; where
// the person's file was is forgotten then (the topic has it, or never will).
func (tx *Tx) FinishRelay(ctx context.Context, eventID int64, failure string) error {
	_, err := tx.X.ExecContext(ctx, `
UPDATE case_events SET relayed_at = CASE WHEN $2 = '' THEN $3::timestamptz END, relay_error = NULLIF($2, ''), media_ref = NULL WHERE id = $1`, eventID, failure, tx.db.Now())
	if err != nil {
		return fmt.Errorf("finishing relay %d: %w", eventID, err)
	}
	return nil
}

// HoldRelay notes that a pending event waits for its channel to allow it
// (until); first is true the first time, so that the counsellors are told
// once however often the sweep tries again.
func (tx *Tx) HoldRelay(ctx context.Context, eventID int64, until time.Time) (first bool, err error) {
	res, err := tx.X.ExecContext(ctx, `UPDATE case_events SET held_until = $2 WHERE id = $1 AND held_until IS NULL`, eventID, until)
	if err != nil {
		return false, fmt.Errorf("holding relay %d: %w", eventID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PendingRelay is a case with events waiting to go in one direction.
type PendingRelay struct {
	CaseID  int64  `db:"case_id"`
	RelayTo string `db:"relay_to"`
}

// PendingRelays lists what the relay still has to send.
func (db *DB) PendingRelays(ctx context.Context) ([]PendingRelay, error) {
	var out []PendingRelay
	err := db.X.SelectContext(ctx, &out, `
SELECT DISTINCT case_id, relay_to FROM case_events
 WHERE relay_to IS NOT NULL AND relayed_at IS NULL AND relay_error IS NULL ORDER BY case_id`)
	if err != nil {
		return nil, fmt.Errorf("listing pending relays: %w", err)
	}
	return out, nil
}

// CaseEvents lists a case's events in order.
func (db *DB) CaseEvents(ctx context.Context, caseID int64) ([]CaseEvent, error) {
	var out []CaseEvent
	if err := db.X.SelectContext(ctx, &out, `SELECT `+eventCols+` FROM case_events WHERE case_id = $1 ORDER BY id`, caseID); err != nil {
		return nil, fmt.Errorf("listing events of case %d: %w", caseID, err)
	}
	return out, nil
}

// CasesWithoutTopic lists open cases still lacking a staff-group topic.
func (db *DB) CasesWithoutTopic(ctx context.Context) ([]int64, error) {
	var ids []int64
	if err := db.X.SelectContext(ctx, &ids, `SELECT id FROM cases WHERE topic_thread_id IS NULL AND status <> 'closed' ORDER BY id`); err != nil {
		return nil, fmt.Errorf("listing cases without topic: %w", err)
	}
	return ids, nil
}

// OpenCases lists open cases in a staff member's scope, oldest first;
// mine limits them to the member's own.
func (db *DB) OpenCases(ctx context.Context, s Staff, mine bool) ([]Case, error) {
	var out []Case
	err := db.X.SelectContext(ctx, &out, caseSelect+`
 WHERE c.status <> 'closed'
   AND (cardinality($1::text[]) = 0 OR c.commune_code = ANY($1))
   AND (NOT $2 OR c.assignee_staff_id = $3)
 ORDER BY c.opened_at, c.id LIMIT 50`, pq.Array(s.Communes), mine, s.ID)
	if err != nil {
		return nil, fmt.Errorf("listing open cases: %w", err)
	}
	return out, nil
}

// CaseProfile is the person's profile as shown on a case card.
type CaseProfile struct {
	FullName    sql.NullString `db:"full_name"`
	BirthYear   sql.NullInt64  `db:"birth_year"`
	Gender      sql.NullString `db:"gender"`
	Phone       sql.NullString `db:"phone"`
	Education   sql.NullString `db:"education"`
	Language    string         `db:"language"`
	Reachable   bool           `db:"reachable"`
	SentenceEnd sql.NullTime   `db:"sentence_end"`
}

// ProfileOf reads the profile fields a case card shows.
func (tx *Tx) ProfileOf(ctx context.Context, personID int64) (CaseProfile, error) {
	var p CaseProfile
	err := tx.X.GetContext(ctx, &p, `
SELECT full_name, birth_year, gender, phone, education, language, reachable, sentence_end FROM people WHERE id = $1`, personID)
	if err != nil {
		return p, fmt.Errorf("reading profile %d: %w", personID, notFound(err))
	}
	return p, nil
}

// OffHoursNotice records that the person was told counsellors are off
// duty, unless they were told since `since`; false means already told.
func (tx *Tx) OffHoursNotice(ctx context.Context, personID int64, since, now time.Time) (bool, error) {
	res, err := tx.X.ExecContext(ctx, `
UPDATE people SET off_hours_notice_at = $3
 WHERE id = $1 AND (off_hours_notice_at IS NULL OR off_hours_notice_at < $2)`, personID, since, now)
	if err != nil {
		return false, fmt.Errorf("off-hours notice of %d: %w", personID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PrivateCaseStaff returns the Telegram account of the counsellor answering
// the case from their private chat, if any.
func (tx *Tx) PrivateCaseStaff(ctx context.Context, caseID int64) (int64, bool, error) {
	var id int64
	err := tx.X.GetContext(ctx, &id, `SELECT telegram_user_id FROM staff WHERE private_case_id = $1 AND active AND telegram_user_id IS NOT NULL ORDER BY id LIMIT 1`, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading private counsellor of case %d: %w", caseID, err)
	}
	return id, true, nil
}

// OpenCasesOf lists a person's open cases.
func (tx *Tx) OpenCasesOf(ctx context.Context, personID int64) ([]Case, error) {
	var out []Case
	if err := tx.X.SelectContext(ctx, &out, caseSelect+` WHERE c.person_id = $1 AND c.status <> 'closed' ORDER BY c.id`, personID); err != nil {
		return nil, fmt.Errorf("listing open cases of %d: %w", personID, err)
	}
	return out, nil
}

// ForgetCaseTopic drops a case's link to its staff-group topic (deleted
// after an erasure) and sets aside the relays still waiting for it, but
// for the event being sent (keep).
func (tx *Tx) ForgetCaseTopic(ctx context.Context, caseID, keep int64) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE cases SET topic_chat_id = NULL, topic_thread_id = NULL, topic_card_msg_id = NULL WHERE id = $1`, caseID); err != nil {
		return fmt.Errorf("forgetting the topic of case %d: %w", caseID, err)
	}
	if _, err := tx.X.ExecContext(ctx, `
UPDATE case_events SET relay_error = 'topic deleted after erasure'
 WHERE case_id = $1 AND id <> $2 AND relay_to = 'topic' AND relayed_at IS NULL AND relay_error IS NULL`, caseID, keep); err != nil {
		return fmt.Errorf("setting aside the relays of case %d: %w", caseID, err)
	}
	return nil
}
