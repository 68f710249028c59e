package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"reentrybot/domain"
)

// Reads and writes of reference-data imports and exports (package
// refdata validates and counts; this file only runs the SQL).

// LockForImport keeps other writers of a reference table out until the
// transaction ends, so an import compares against rows that stay put.
func (tx *Tx) LockForImport(ctx context.Context, table string) error {
	switch table {
	case "communes", "courses", "loan_days", "staff":
	default:
		return fmt.Errorf("locking %q: not a reference table", table)
	}
	if _, err := tx.X.ExecContext(ctx, `LOCK TABLE `+table+` IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("locking %s: %w", table, err)
	}
	return nil
}

// AllCommunes lists every commune, retired ones too, by code.
func (tx *Tx) AllCommunes(ctx context.Context) ([]domain.Commune, error) {
	var rows []communeRow
	if err := tx.X.SelectContext(ctx, &rows, `SELECT `+communeCols+` FROM communes ORDER BY code`); err != nil {
		return nil, fmt.Errorf("listing communes: %w", err)
	}
	out := make([]domain.Commune, len(rows))
	for i, r := range rows {
		out[i] = r.commune()
	}
	return out, nil
}

// RetireCommunes marks communes inactive; they and their history stay.
func (tx *Tx) RetireCommunes(ctx context.Context, codes []string) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE communes SET active = false, updated_at = $2 WHERE code = ANY($1) AND active`, pq.Array(codes), tx.db.Now()); err != nil {
		return fmt.Errorf("retiring communes: %w", err)
	}
	return nil
}

// CourseRecord is a course as a course file holds it, keyed by Code.
// SeatsTaken is kept by the counsellors and never imported.
type CourseRecord struct {
	Code          string    `db:"code"`
	Trade         string    `db:"trade"`
	Title         string    `db:"title"`
	Provider      string    `db:"provider"`
	CommuneCode   string    `db:"commune_code"`
	StartDate     time.Time `db:"start_date"`
	LengthValue   int       `db:"length_value"`
	LengthUnit    string    `db:"length_unit"`
	FeeVND        int64     `db:"fee_vnd"`
	Certificate   string    `db:"certificate"`
	SeatsTotal    int       `db:"seats_total"`
	SeatsTaken    int       `db:"seats_taken"`
	EnrolDeadline time.Time `db:"enrol_deadline"`
	Active        bool      `db:"active"`
	Sample        bool      `db:"sample"`
	groupSupportCols
}

// AllCourses lists every course by code.
func (tx *Tx) AllCourses(ctx context.Context) ([]CourseRecord, error) {
	var out []CourseRecord
	err := tx.X.SelectContext(ctx, &out, `
SELECT code, trade, title, provider, commune_code, start_date, length_value, length_unit, fee_vnd,
       `+supportColsSQL+`, certificate, seats_total, seats_taken, enrol_deadline, active, sample
  FROM courses ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("listing courses: %w", err)
	}
	for i := range out {
		out[i].StartDate, out[i].EnrolDeadline = dateOnly(out[i].StartDate), dateOnly(out[i].EnrolDeadline)
	}
	return out, nil
}

const upsertCourseSQL = `
INSERT INTO courses (code, trade, title, provider, commune_code, start_date, length_value, length_unit,
                     fee_vnd, certificate, seats_total, enrol_deadline, active, sample, created_at,
                     ` + supportColsSQL + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, false, $14, $15, $16, $17, $18, $19, $20)
ON CONFLICT (code) DO UPDATE
   SET trade = EXCLUDED.trade, title = EXCLUDED.title, provider = EXCLUDED.provider,
       commune_code = EXCLUDED.commune_code, start_date = EXCLUDED.start_date,
       length_value = EXCLUDED.length_value, length_unit = EXCLUDED.length_unit,
       fee_vnd = EXCLUDED.fee_vnd, certificate = EXCLUDED.certificate,
       support_disability_vnd = EXCLUDED.support_disability_vnd,
       support_poor_ethnic_minority_vnd = EXCLUDED.support_poor_ethnic_minority_vnd,
       support_ethnic_minority_vnd = EXCLUDED.support_ethnic_minority_vnd,
       support_poor_vnd = EXCLUDED.support_poor_vnd, support_near_poor_vnd = EXCLUDED.support_near_poor_vnd,
       support_other_vnd = EXCLUDED.support_other_vnd,
       seats_total = EXCLUDED.seats_total, enrol_deadline = EXCLUDED.enrol_deadline,
       active = EXCLUDED.active, sample = false`

// UpsertCourse adds or updates a course by code (seats taken untouched).
func (tx *Tx) UpsertCourse(ctx context.Context, c CourseRecord) error {
	_, err := tx.X.ExecContext(ctx, upsertCourseSQL, c.Code, c.Trade, c.Title, c.Provider, c.CommuneCode,
		c.StartDate.Format("2006-01-02"), c.LengthValue, c.LengthUnit, c.FeeVND, c.Certificate,
		c.SeatsTotal, c.EnrolDeadline.Format("2006-01-02"), c.Active, tx.db.Now(),
		c.SupportDisability, c.SupportPoorEthnicMinority, c.SupportEthnicMinority, c.SupportPoor, c.SupportNearPoor, c.SupportOther)
	if err != nil {
		return fmt.Errorf("saving course %s: %w", c.Code, err)
	}
	return nil
}

// RetireCourses marks courses inactive by code.
func (tx *Tx) RetireCourses(ctx context.Context, codes []string) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE courses SET active = false WHERE code = ANY($1) AND active`, pq.Array(codes)); err != nil {
		return fmt.Errorf("retiring courses: %w", err)
	}
	return nil
}

// AllLoanDays lists every transaction day with its booked places, by
// commune, day and start.
func (tx *Tx) AllLoanDays(ctx context.Context) ([]domain.LoanDay, error) {
	var rows []loanDayRow
	err := tx.X.SelectContext(ctx, &rows, `
SELECT d.id, d.commune_code, d.day, d.place, to_char(d.starts_at, 'HH24:MI') AS starts_at,
       to_char(d.ends_at, 'HH24:MI') AS ends_at, d.capacity, d.sample,
       (SELECT count(*) FROM appointments a WHERE a.loan_day_id = d.id AND a.status = 'booked') AS booked
  FROM loan_days d ORDER BY d.commune_code, d.day, d.starts_at`)
	if err != nil {
		return nil, fmt.Errorf("listing loan days: %w", err)
	}
	out := make([]domain.LoanDay, len(rows))
	for i, r := range rows {
		out[i] = r.loanDay()
	}
	return out, nil
}

// AddInvite is DB.CreateInvite inside a transaction (for bulk imports).
func (tx *Tx) AddInvite(ctx context.Context, role Role, communes []string, name string, codeHash []byte, expires time.Time) (int64, error) {
	if communes == nil {
		communes = []string{} // province-wide
	}
	now := tx.db.Now()
	var id int64
	if err := tx.X.GetContext(ctx, &id,
		`INSERT INTO staff (role, communes, display_name, active, created_at) VALUES ($1, $2, $3, true, $4) RETURNING id`,
		role, pq.Array(communes), name, now); err != nil {
		return 0, fmt.Errorf("adding staff %q: %w", name, err)
	}
	if _, err := tx.X.ExecContext(ctx,
		`INSERT INTO staff_invites (staff_id, code_hash, expires_at, created_at) VALUES ($1, $2, $3, $4)`, id, codeHash, expires, now); err != nil {
		return 0, fmt.Errorf("adding invite of %q: %w", name, err)
	}
	return id, nil
}
