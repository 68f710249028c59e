package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// BookedAppointment is one booked appointment of a loan day, as the bank's
// desk lists it on the transaction day.
type BookedAppointment struct {
	ID        int64          `db:"id"`
	FullName  sql.NullString `db:"full_name"`
	BirthYear sql.NullInt64  `db:"birth_year"`
	Phone     sql.NullString `db:"phone"`
	Place     string         `db:"place"`
	StartsAt  string         `db:"starts_at"`
	EndsAt    string         `db:"ends_at"`
	BookedAt  time.Time      `db:"created_at"`
	CaseID    sql.NullInt64  `db:"case_id"`
	Purpose   string         `db:"purpose"`
	Amount    string         `db:"amount"`
}

// Oldest booking first: the order people asked in.
const bookedAppointmentsSQL = `
SELECT a.id, p.full_name, p.birth_year, p.phone, d.place, to_char(d.starts_at, 'HH24:MI') AS starts_at,
       to_char(d.ends_at, 'HH24:MI') AS ends_at, a.created_at, k.id AS case_id,
       coalesce(k.answers->>'purpose', '') AS purpose, coalesce(k.answers->>'amount', '') AS amount
  FROM appointments a
  JOIN loan_days d ON d.id = a.loan_day_id
  JOIN people p ON p.id = a.person_id
  LEFT JOIN cases k ON k.appointment_id = a.id
 WHERE d.day = $1::date AND d.commune_code = $2 AND a.status = 'booked' AND p.erased_at IS NULL
 ORDER BY a.created_at, a.id`

// BookedAppointments lists the appointments booked for a commune's loan
// day.
func (db *DB) BookedAppointments(ctx context.Context, day time.Time, commune string) ([]BookedAppointment, error) {
	var out []BookedAppointment
	if err := db.X.SelectContext(ctx, &out, bookedAppointmentsSQL, day.Format(time.DateOnly), commune); err != nil {
		return nil, fmt.Errorf("appointments of %s on %s: %w", commune, day.Format(time.DateOnly), err)
	}
	return out, nil
}
