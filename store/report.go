package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// MonthFigures is the raw material of the monthly report for [From, To):
// one row per case opened or closed in the window, counts of
// registrations and loan appointments per commune, and the communes.
// Package report adds them up.
type MonthFigures struct {
	From, To      time.Time
	Communes      []ReportCommune
	Registrations map[string]int // commune code → people registered
	Appointments  map[string]int // loan day's commune → appointments booked
	Cases         []ReportCase
}

// ReportCommune is a commune as the report lists it.
type ReportCommune struct {
	Code   string `db:"code"`
	Name   string `db:"name"`
	Active bool   `db:"active"`
}

// ReportCase is one case opened or closed in the window; no person data.
type ReportCase struct {
	ID              int64          `db:"id"`
	Kind            string         `db:"kind"`
	CommuneCode     sql.NullString `db:"commune_code"`
	OpenedAt        time.Time      `db:"opened_at"`
	FirstResponseAt sql.NullTime   `db:"first_response_at"`
	ClosedAt        sql.NullTime   `db:"closed_at"`
	Outcome         sql.NullString `db:"outcome"`
	Rating          sql.NullInt64  `db:"rating"`
	Trades          pq.StringArray `db:"trades"`
	OtherTrade      bool           `db:"other_trade"`
}

const reportCasesSQL = `
SELECT id, kind, commune_code, opened_at, first_response_at, closed_at, outcome, rating,
       ARRAY(SELECT jsonb_array_elements_text(
               CASE WHEN kind = 'job' AND jsonb_typeof(answers->'trades') = 'array' THEN answers->'trades' ELSE '[]' END)) AS trades,
       kind = 'job' AND (COALESCE(answers->>'trades_other', '') <> '' OR COALESCE(answers->>'other_trade', '') = 'true') AS other_trade
  FROM cases
 WHERE (opened_at >= $1 AND opened_at < $2) OR (closed_at >= $1 AND closed_at < $2)
 ORDER BY id`

// MonthFigures reads the report's raw figures for [from, to).
func (db *DB) MonthFigures(ctx context.Context, from, to time.Time) (MonthFigures, error) {
	f := MonthFigures{From: from, To: to, Registrations: map[string]int{}, Appointments: map[string]int{}}
	if err := db.X.SelectContext(ctx, &f.Communes, `SELECT code, name, active FROM communes ORDER BY code`); err != nil {
		return f, fmt.Errorf("report: communes: %w", err)
	}
	counts := func(into map[string]int, what, q string) error {
		var rows []struct {
			Code sql.NullString `db:"code"`
			N    int            `db:"n"`
		}
		if err := db.X.SelectContext(ctx, &rows, q, from, to); err != nil {
			return fmt.Errorf("report: %s: %w", what, err)
		}
		for _, r := range rows {
			into[r.Code.String] += r.N
		}
		return nil
	}
	// A registration is a person first seen in the window whose profile has
	// a commune; erased people count through their anonymous record.
	if err := counts(f.Registrations, "registrations", `
SELECT commune_code AS code, count(*) AS n FROM people
 WHERE created_at >= $1 AND created_at < $2 AND commune_code IS NOT NULL GROUP BY 1`); err != nil {
		return f, err
	}
	// Appointments booked in the window, cancelled later or not, by the
	// commune of the transaction day.
	if err := counts(f.Appointments, "appointments", `
SELECT d.commune_code AS code, count(*) AS n FROM appointments a JOIN loan_days d ON d.id = a.loan_day_id
 WHERE a.created_at >= $1 AND a.created_at < $2 GROUP BY 1`); err != nil {
		return f, err
	}
	if err := db.X.SelectContext(ctx, &f.Cases, reportCasesSQL, from, to); err != nil {
		return f, fmt.Errorf("report: cases: %w", err)
	}
	return f, nil
}
