package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"reentrybot/domain"
)

const openCaseOfSQL = `
SELECT c.id, c.kind, c.appointment_id, a.loan_day_id
  FROM cases c LEFT JOIN appointments a ON a.id = c.appointment_id AND a.status = 'booked'
 WHERE c.person_id = $1 AND c.kind = $2 AND c.status <> 'closed'`

// OpenCaseOf returns the person's open case of kind.
func (tx *Tx) OpenCaseOf(ctx context.Context, personID int64, kind string) (domain.OpenCase, bool, error) {
	var r struct {
		ID            int64         `db:"id"`
		Kind          string        `db:"kind"`
		AppointmentID sql.NullInt64 `db:"appointment_id"`
		LoanDayID     sql.NullInt64 `db:"loan_day_id"`
	}
	err := tx.X.GetContext(ctx, &r, openCaseOfSQL, personID, kind)
	if notFound(err) == ErrNotFound {
		return domain.OpenCase{}, false, nil
	}
	if err != nil {
		return domain.OpenCase{}, false, fmt.Errorf("reading open %s case of %d: %w", kind, personID, err)
	}
	c := domain.OpenCase{ID: r.ID, Kind: r.Kind}
	if r.AppointmentID.Valid {
		c.AppointmentID = &r.AppointmentID.Int64
	}
	if r.LoanDayID.Valid {
		c.LoanDayID = &r.LoanDayID.Int64
	}
	return c, true, nil
}

// xmax = 0 holds for a freshly inserted row only.
const saveCaseSQL = `
INSERT INTO cases (person_id, kind, commune_code, answers, course_id, appointment_id, opened_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
ON CONFLICT (person_id, kind) WHERE status <> 'closed' DO UPDATE
   SET answers = EXCLUDED.answers, commune_code = EXCLUDED.commune_code,
       course_id = EXCLUDED.course_id, appointment_id = EXCLUDED.appointment_id,
       updated_at = EXCLUDED.updated_at
RETURNING id, (xmax = 0) AS created`

// SaveCase opens a case or replaces the answers of the open one.
func (tx *Tx) SaveCase(ctx context.Context, d domain.CaseDraft) (domain.CaseRef, error) {
	answers := d.Answers
	if len(answers) == 0 {
		answers = json.RawMessage("{}")
	}
	at := tx.db.at(d.At)
	var r struct {
		ID      int64 `db:"id"`
		Created bool  `db:"created"`
	}
	err := tx.X.GetContext(ctx, &r, saveCaseSQL, d.PersonID, d.Kind, flowsNullStr(d.CommuneCode), []byte(answers),
		d.CourseID, d.AppointmentID, at.UTC())
	if err != nil {
		return domain.CaseRef{}, fmt.Errorf("saving %s case of %d: %w", d.Kind, d.PersonID, err)
	}
	return domain.CaseRef{ID: r.ID, Kind: d.Kind, Created: r.Created}, nil
}

// CloseOnWithdrawal closes the person's open cases of kinds with
// OutcomeWithdrawn, cancels the appointments they booked, and queues a
// notice to each case's topic (the relay sends it after commit).
func (tx *Tx) CloseOnWithdrawal(ctx context.Context, personID int64, kinds []string, at time.Time) ([]domain.CaseRef, error) {
	var closed []struct {
		ID          int64         `db:"id"`
		Kind        string        `db:"kind"`
		Appointment sql.NullInt64 `db:"appointment_id"`
	}
	if err := tx.X.SelectContext(ctx, &closed, `
UPDATE cases SET status = 'closed', outcome = $3, closed_at = $4, updated_at = $4
 WHERE person_id = $1 AND kind = ANY($2) AND status <> 'closed'
RETURNING id, kind, appointment_id`, personID, pq.Array(kinds), OutcomeWithdrawn, at); err != nil {
		return nil, fmt.Errorf("closing the cases of %d on withdrawal: %w", personID, err)
	}
	refs := make([]domain.CaseRef, 0, len(closed))
	for _, c := range closed {
		if c.Appointment.Valid {
			if err := tx.CancelAppointment(ctx, c.Appointment.Int64, at); err != nil {
				return nil, err
			}
		}
		if _, err := tx.AddCaseEvent(ctx, NewEvent{CaseID: c.ID, Actor: "system", Kind: "notice", Body: "topic_consent_withdrawn", RelayTo: RelayTopic, At: at}); err != nil {
			return nil, err
		}
		refs = append(refs, domain.CaseRef{ID: c.ID, Kind: c.Kind})
	}
	return refs, nil
}
