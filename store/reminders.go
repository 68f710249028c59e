package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"
)

// Kinds of reminder; ref_id is the appointment for ReminderLoanDay and the
// case for the others.
const (
	ReminderLoanDay     = "loan_day"
	ReminderCourseStart = "course_start"
	ReminderFollowup30  = "followup_30"
	ReminderFollowup90  = "followup_90"
)

// Statuses of a reminder.
const (
	ReminderPending = "pending"
	ReminderSent    = "sent"
	ReminderSkipped = "skipped"
	ReminderFailed  = "failed"
)

// FollowupAnswers are the answers a follow-up offers, by the kind of the
// case it follows (loan and other cases share the generic question). They
// are stored as they are, for the monthly figures.
var FollowupAnswers = map[string][]string{
	"job":    {"working", "stopped", "looking"},
	"course": {"started", "not_yet", "dropped"},
	"other":  {"fine", "need_help"},
}

// FollowupGroup is the FollowupAnswers key of a case kind.
func FollowupGroup(caseKind string) string {
	switch caseKind {
	case "job", "course":
		return caseKind
	}
	return "other"
}

// PlanReminders creates the reminders that are due or will be: the day
// before each booked appointment at 08:00, three days before the course of
// each open or closed-as-enrolled course case at 08:00, and 30 and 90 days
// after a case closed at 09:00, all in zone (a PostgreSQL time zone name).
// Reminders already planned are left alone, as are ones whose moment has
// passed (an appointment already begun, a follow-up more than three days
// late). now is the bot's clock.
func (db *DB) PlanReminders(ctx context.Context, now time.Time, zone string) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *Tx) error {
		// Not beside an erasure: one planned from a snapshot taken before it
		// would tie the account to the case's old number (groups.go).
		if err := lockPlanning(ctx, tx); err != nil {
			return err
		}
		var err error
		n, err = planReminders(ctx, tx, now, zone)
		return err
	})
	return n, err
}

func planReminders(ctx context.Context, tx *Tx, now time.Time, zone string) (int64, error) {
	res, err := tx.X.ExecContext(ctx, `
INSERT INTO reminders (person_id, kind, ref_id, due_at, created_at)
SELECT a.person_id, 'loan_day', a.id, ((d.day - 1) + time '08:00') AT TIME ZONE $2::text, $1
  FROM appointments a
  JOIN loan_days d ON d.id = a.loan_day_id
  JOIN people p ON p.id = a.person_id AND p.erased_at IS NULL
 WHERE a.status = 'booked'
   AND (d.day + d.starts_at) AT TIME ZONE $2::text > $1
UNION ALL
SELECT c.person_id, 'course_start', c.id, ((co.start_date - 3) + time '08:00') AT TIME ZONE $2::text, $1
  FROM cases c
  JOIN courses co ON co.id = c.course_id
  JOIN people p ON p.id = c.person_id AND p.erased_at IS NULL
 WHERE (c.status <> 'closed' OR c.outcome = 'enrolled')
   AND co.active
   AND (co.start_date + time '00:00') AT TIME ZONE $2::text > $1
UNION ALL
SELECT c.person_id, 'followup_' || f.days, c.id,
       (((c.closed_at AT TIME ZONE $2::text)::date + f.days) + time '09:00') AT TIME ZONE $2::text, $1
  FROM cases c
  JOIN people p ON p.id = c.person_id AND p.erased_at IS NULL
 CROSS JOIN (VALUES (30), (90)) AS f (days)
 WHERE c.status = 'closed'
   AND c.closed_at > CAST($1 AS timestamptz) - interval '100 days'
   AND NOT (coalesce(c.outcome, '') = ANY($3::text[])) -- nothing follows an erasure or a withdrawal
   AND (((c.closed_at AT TIME ZONE $2::text)::date + f.days) + time '09:00') AT TIME ZONE $2::text
       > CAST($1 AS timestamptz) - interval '3 days'
ON CONFLICT (kind, ref_id) DO NOTHING`, now, zone, pq.Array([]string{OutcomeErased, OutcomeWithdrawn}))
	if err != nil {
		return 0, fmt.Errorf("planning reminders: %w", err)
	}
	return res.RowsAffected()
}

// DueReminder is a pending reminder claimed for sending, with its person.
type DueReminder struct {
	ID        int64     `db:"id"`
	PersonID  int64     `db:"person_id"`
	Kind      string    `db:"kind"`
	RefID     int64     `db:"ref_id"`
	DueAt     time.Time `db:"due_at"`
	Channel   string    `db:"channel"`
	ChatRef   string    `db:"chat_ref"`
	Language  string    `db:"language"`
	Reachable bool      `db:"reachable"`
	Erased    bool      `db:"erased"`
}

// ClaimDueReminder locks the oldest pending reminder due at now (the bot's
// clock) that no one else holds; the lock lasts until the transaction
// ends, so a reminder is sent by one process only.
func (tx *Tx) ClaimDueReminder(ctx context.Context, now time.Time) (DueReminder, bool, error) {
	var r DueReminder
	err := tx.X.GetContext(ctx, &r, `
SELECT r.id, r.person_id, r.kind, r.ref_id, r.due_at, p.channel, p.chat_ref, p.language,
       p.reachable, p.erased_at IS NOT NULL AS erased
  FROM reminders r
  JOIN people p ON p.id = r.person_id
 WHERE r.status = 'pending' AND r.due_at <= $1
 ORDER BY r.due_at, r.id
 LIMIT 1
 FOR UPDATE OF r SKIP LOCKED`, now)
	if err == sql.ErrNoRows {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("claiming a due reminder: %w", err)
	}
	return r, true, nil
}

// ReminderRef is what a reminder is about, as it stands now.
type ReminderRef struct {
	Found    bool
	PersonID int64
	// Appointment (loan_day): its status, place and start.
	// Course case (course_start): the case's status and outcome, the
	// course's title, provider, start (midnight) and whether it still runs.
	// Closed case (followup_*): the case's kind and status.
	Status   string
	Outcome  string
	CaseKind string
	Place    string
	Title    string
	Provider string
	Active   bool
	StartsAt time.Time
}

// ReminderRef reads the appointment or case a reminder is about; zone
// places dates and times of day.
func (tx *Tx) ReminderRef(ctx context.Context, kind string, refID int64, zone string) (ReminderRef, error) {
	var (
		q    string
		row  ReminderRef
		dest []any
		args = []any{refID, zone}
	)
	var outcome sql.NullString
	switch kind {
	case ReminderLoanDay:
		q = `
SELECT a.person_id, a.status, d.place, (d.day + d.starts_at) AT TIME ZONE $2::text
  FROM appointments a JOIN loan_days d ON d.id = a.loan_day_id WHERE a.id = $1`
		dest = []any{&row.PersonID, &row.Status, &row.Place, &row.StartsAt}
	case ReminderCourseStart:
		q = `
SELECT c.person_id, c.status, c.outcome, co.title, co.provider, co.active,
       (co.start_date + time '00:00') AT TIME ZONE $2::text
  FROM cases c JOIN courses co ON co.id = c.course_id WHERE c.id = $1`
		dest = []any{&row.PersonID, &row.Status, &outcome, &row.Title, &row.Provider, &row.Active, &row.StartsAt}
	case ReminderFollowup30, ReminderFollowup90:
		q = `SELECT person_id, status, outcome, kind FROM cases WHERE id = $1`
		dest = []any{&row.PersonID, &row.Status, &outcome, &row.CaseKind}
		args = args[:1]
	default:
		return row, fmt.Errorf("reminder kind %q", kind)
	}
	err := tx.X.QueryRowxContext(ctx, q, args...).Scan(dest...)
	if err == sql.ErrNoRows {
		return row, nil
	}
	if err != nil {
		return row, fmt.Errorf("reading what reminder %s %d is about: %w", kind, refID, err)
	}
	row.Found, row.Outcome = true, outcome.String
	return row, nil
}

// FinishReminder records how a claimed reminder ended.
func (tx *Tx) FinishReminder(ctx context.Context, id int64, status, reason string, at time.Time) error {
	var sentAt any
	if status == ReminderSent {
		sentAt = at
	}
	_, err := tx.X.ExecContext(ctx, `
UPDATE reminders SET status = $2, reason = NULLIF($3, ''), sent_at = $4 WHERE id = $1 AND status = 'pending'`,
		id, status, reason, sentAt)
	if err != nil {
		return fmt.Errorf("finishing reminder %d: %w", id, err)
	}
	return nil
}

// AnswerFollowup stores a person's answer to a follow-up they were sent,
// on the reminder and on its case (followup_30 or followup_90). It is
// false when the reminder is not theirs, not a sent follow-up, already
// answered, its case is no longer theirs, or the answer is not one the
// question offers.
func (tx *Tx) AnswerFollowup(ctx context.Context, id, personID int64, answer string, at time.Time) (bool, error) {
	var r struct {
		Kind     string `db:"kind"`
		RefID    int64  `db:"ref_id"`
		CaseKind string `db:"case_kind"`
	}
	err := tx.X.GetContext(ctx, &r, `
SELECT r.kind, r.ref_id, c.kind AS case_kind
  FROM reminders r JOIN cases c ON c.id = r.ref_id AND c.person_id = r.person_id
 WHERE r.id = $1 AND r.person_id = $2 AND r.kind IN ('followup_30', 'followup_90')
   AND r.status = 'sent' AND r.answer IS NULL
   FOR UPDATE OF r`, id, personID)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading follow-up %d: %w", id, err)
	}
	if !slices.Contains(FollowupAnswers[FollowupGroup(r.CaseKind)], answer) {
		return false, nil
	}
	if _, err := tx.X.ExecContext(ctx, `UPDATE reminders SET answer = $2, answered_at = $3 WHERE id = $1`, id, answer, at); err != nil {
		return false, fmt.Errorf("storing follow-up answer %d: %w", id, err)
	}
	q := `UPDATE cases SET followup_30 = $2 WHERE id = $1`
	if r.Kind == ReminderFollowup90 {
		q = `UPDATE cases SET followup_90 = $2 WHERE id = $1`
	}
	if _, err := tx.X.ExecContext(ctx, q, r.RefID, answer); err != nil {
		return false, fmt.Errorf("storing follow-up answer on case %d: %w", r.RefID, err)
	}
	return true, nil
}
