package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"reentrybot/domain"
)

const communeCols = `code, name, full_name, type, province_code, active`

type communeRow struct {
	Code         string `db:"code"`
	Name         string `db:"name"`
	FullName     string `db:"full_name"`
	Type         string `db:"type"`
	ProvinceCode string `db:"province_code"`
	Active       bool   `db:"active"`
}

func (r communeRow) commune() domain.Commune {
	return domain.Commune{Code: r.Code, Name: r.Name, FullName: r.FullName, Type: r.Type, ProvinceCode: r.ProvinceCode, Active: r.Active}
}

// The exact name first, then names starting with the query, then names
// with a word starting with it, then the rest.
const searchCommunesSQL = `
SELECT ` + communeCols + ` FROM communes
 WHERE active AND strpos(search_key, $1) > 0
 ORDER BY (search_key = $1) DESC, (left(search_key, length($1)) = $1) DESC,
          (strpos(' ' || search_key, ' ' || $1) > 0) DESC, search_key, code
 LIMIT $2`

// SearchCommunes finds active communes whose search key contains folded.
func (tx *Tx) SearchCommunes(ctx context.Context, folded string, limit int) ([]domain.Commune, error) {
	var rows []communeRow
	if err := tx.X.SelectContext(ctx, &rows, searchCommunesSQL, folded, limit); err != nil {
		return nil, fmt.Errorf("searching communes for %q: %w", folded, err)
	}
	out := make([]domain.Commune, len(rows))
	for i, r := range rows {
		out[i] = r.commune()
	}
	return out, nil
}

// findCommunesSQL looks in three places: the units' own names (any part),
// the names of the former units (from a word's start, so that "son" does
// not list every former "...sơn"), and the former districts (whole name).
// A unit found several ways is listed once, for its best reason; rank is
// 0 for the whole name, 1 for its start, 2 for a word's start, 3 for any
// part, and at equal rank a unit's own name comes before a former one's.
const findCommunesSQL = `
WITH hits AS (
    SELECT c.code, 0 AS via, '' AS former_name, '' AS former_type, '' AS former_district,
           CASE WHEN c.search_key = $1 THEN 0
                WHEN left(c.search_key, length($1)) = $1 THEN 1
                WHEN strpos(' ' || c.search_key, ' ' || $1) > 0 THEN 2
                ELSE 3 END AS rank
      FROM communes c
     WHERE strpos(c.search_key, $1) > 0
    UNION ALL
    SELECT f.new_code, 1, f.former_name, f.former_type, f.former_district,
           CASE WHEN $1 IN (f.search_key, f.alt_key) THEN 0
                WHEN left(f.search_key, length($1)) = $1 OR left(f.alt_key, length($1)) = $1 THEN 1
                ELSE 2 END
      FROM former_communes f
     WHERE strpos(' ' || f.search_key, ' ' || $1) > 0 OR strpos(' ' || f.alt_key, ' ' || $1) > 0
    UNION ALL
    SELECT f.new_code, 2, '', '', f.former_district, 0
      FROM former_communes f
     WHERE f.district_key = $1
), best AS (
    SELECT DISTINCT ON (code) * FROM hits ORDER BY code, rank, via, former_name
)
SELECT c.code, c.name, c.full_name, c.type, c.province_code, c.active, b.former_name, b.former_type, b.former_district
  FROM best b JOIN communes c ON c.code = b.code
 WHERE c.active
 ORDER BY b.rank, b.via, c.search_key, c.code
 LIMIT $2`

type communeMatchRow struct {
	communeRow
	FormerName     string `db:"former_name"`
	FormerType     string `db:"former_type"`
	FormerDistrict string `db:"former_district"`
}

// FindCommunes finds active communes by their name, by a former unit's
// name or by a former district's name (see findCommunesSQL).
func (tx *Tx) FindCommunes(ctx context.Context, folded string, limit int) ([]domain.CommuneMatch, error) {
	var rows []communeMatchRow
	if err := tx.X.SelectContext(ctx, &rows, findCommunesSQL, folded, limit); err != nil {
		return nil, fmt.Errorf("finding communes for %q: %w", folded, err)
	}
	out := make([]domain.CommuneMatch, len(rows))
	for i, r := range rows {
		out[i] = domain.CommuneMatch{Commune: r.commune(), FormerName: r.FormerName, FormerType: r.FormerType, FormerDistrict: r.FormerDistrict}
	}
	return out, nil
}

const communeSQL = `SELECT ` + communeCols + ` FROM communes WHERE code = $1`

// Commune reads one commune.
func (tx *Tx) Commune(ctx context.Context, code string) (domain.Commune, error) {
	var r communeRow
	if err := tx.X.GetContext(ctx, &r, communeSQL, code); err != nil {
		return domain.Commune{}, fmt.Errorf("reading commune %s: %w", code, notFound(err))
	}
	return r.commune(), nil
}

const upsertCommuneSQL = `
INSERT INTO communes (code, name, full_name, type, province_code, search_key, active, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (code) DO UPDATE
   SET name = EXCLUDED.name, full_name = EXCLUDED.full_name, type = EXCLUDED.type,
       province_code = EXCLUDED.province_code, search_key = EXCLUDED.search_key,
       active = EXCLUDED.active, updated_at = EXCLUDED.updated_at`

// UpsertCommune inserts or updates a commune by code; searchKey is its
// folded name.
func (tx *Tx) UpsertCommune(ctx context.Context, c domain.Commune, searchKey string) error {
	if _, err := tx.X.ExecContext(ctx, upsertCommuneSQL, c.Code, c.Name, c.FullName, c.Type, c.ProvinceCode, searchKey, c.Active, tx.db.Now()); err != nil {
		return fmt.Errorf("saving commune %s: %w", c.Code, err)
	}
	return nil
}

type courseRow struct {
	ID            int64          `db:"id"`
	Trade         string         `db:"trade"`
	Title         string         `db:"title"`
	Provider      string         `db:"provider"`
	CommuneCode   string         `db:"commune_code"`
	CommuneName   sql.NullString `db:"commune_name"`
	StartDate     time.Time      `db:"start_date"`
	LengthValue   int            `db:"length_value"`
	LengthUnit    string         `db:"length_unit"`
	FeeVND        int64          `db:"fee_vnd"`
	Certificate   string         `db:"certificate"`
	SeatsTotal    int            `db:"seats_total"`
	SeatsTaken    int            `db:"seats_taken"`
	EnrolDeadline time.Time      `db:"enrol_deadline"`
	Active        bool           `db:"active"`
	Sample        bool           `db:"sample"`
	groupSupportCols
}

func (r courseRow) course() domain.Course {
	return domain.Course{
		ID: r.ID, Trade: r.Trade, Title: r.Title, Provider: r.Provider,
		CommuneCode: r.CommuneCode, CommuneName: r.CommuneName.String,
		StartDate: dateOnly(r.StartDate), LengthValue: r.LengthValue, LengthUnit: r.LengthUnit,
		FeeVND: r.FeeVND, Support: r.Support(), Certificate: r.Certificate,
		SeatsTotal: r.SeatsTotal, SeatsTaken: r.SeatsTaken, EnrolDeadline: dateOnly(r.EnrolDeadline),
		Active: r.Active, Sample: r.Sample,
	}
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

const courseCols = `k.id, k.trade, k.title, k.provider, k.commune_code, c.name AS commune_name,
       k.start_date, k.length_value, k.length_unit, k.fee_vnd, k.certificate,
       k.support_disability_vnd, k.support_poor_ethnic_minority_vnd, k.support_ethnic_minority_vnd,
       k.support_poor_vnd, k.support_near_poor_vnd, k.support_other_vnd,
       k.seats_total, k.seats_taken, k.enrol_deadline, k.active, k.sample`

const coursesSQL = `
SELECT ` + courseCols + `
  FROM courses k LEFT JOIN communes c ON c.code = k.commune_code
 WHERE k.active AND k.enrol_deadline >= $1 AND k.seats_taken < k.seats_total
   AND ($2 = '' OR k.trade = $2) AND ($3 = '' OR k.commune_code = $3)
 ORDER BY k.start_date, k.id`

// Courses lists open courses matching f.
func (tx *Tx) Courses(ctx context.Context, f domain.CourseFilter) ([]domain.Course, error) {
	var rows []courseRow
	if err := tx.X.SelectContext(ctx, &rows, coursesSQL, f.Today.Format("2006-01-02"), f.Trade, f.CommuneCode); err != nil {
		return nil, fmt.Errorf("listing courses: %w", err)
	}
	out := make([]domain.Course, len(rows))
	for i, r := range rows {
		out[i] = r.course()
	}
	return out, nil
}

const courseSQL = `SELECT ` + courseCols + ` FROM courses k LEFT JOIN communes c ON c.code = k.commune_code WHERE k.id = $1`

// Course reads one course.
func (tx *Tx) Course(ctx context.Context, id int64) (domain.Course, error) {
	var r courseRow
	if err := tx.X.GetContext(ctx, &r, courseSQL, id); err != nil {
		return domain.Course{}, fmt.Errorf("reading course %d: %w", id, notFound(err))
	}
	return r.course(), nil
}

const insertCourseSQL = `
INSERT INTO courses (trade, title, provider, commune_code, start_date, length_value, length_unit,
                     fee_vnd, certificate, seats_total, seats_taken, enrol_deadline, active, sample, created_at,
                     ` + supportColsSQL + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
RETURNING id`

// InsertCourse adds a course and returns its id.
func (tx *Tx) InsertCourse(ctx context.Context, c domain.Course) (int64, error) {
	var id int64
	err := tx.X.GetContext(ctx, &id, insertCourseSQL, c.Trade, c.Title, c.Provider, c.CommuneCode,
		c.StartDate.Format("2006-01-02"), c.LengthValue, c.LengthUnit, c.FeeVND,
		c.Certificate, c.SeatsTotal, c.SeatsTaken, c.EnrolDeadline.Format("2006-01-02"), c.Active, c.Sample, tx.db.Now(),
		c.Support[0], c.Support[1], c.Support[2], c.Support[3], c.Support[4], c.Support[5])
	if err != nil {
		return 0, fmt.Errorf("adding course %q: %w", c.Title, err)
	}
	return id, nil
}

type loanDayRow struct {
	ID          int64     `db:"id"`
	CommuneCode string    `db:"commune_code"`
	Day         time.Time `db:"day"`
	Place       string    `db:"place"`
	StartsAt    string    `db:"starts_at"`
	EndsAt      string    `db:"ends_at"`
	Capacity    int       `db:"capacity"`
	Booked      int       `db:"booked"`
	Sample      bool      `db:"sample"`
}

func (r loanDayRow) loanDay() domain.LoanDay {
	return domain.LoanDay{ID: r.ID, CommuneCode: r.CommuneCode, Day: dateOnly(r.Day), Place: r.Place,
		StartsAt: r.StartsAt, EndsAt: r.EndsAt, Capacity: r.Capacity, Booked: r.Booked, Sample: r.Sample}
}

const loanDaysSQL = `
SELECT d.id, d.commune_code, d.day, d.place, to_char(d.starts_at, 'HH24:MI') AS starts_at,
       to_char(d.ends_at, 'HH24:MI') AS ends_at, d.capacity, d.sample,
       (SELECT count(*) FROM appointments a WHERE a.loan_day_id = d.id AND a.status = 'booked') AS booked
  FROM loan_days d
 WHERE d.commune_code = $1 AND d.day >= $2
   AND d.capacity > (SELECT count(*) FROM appointments a WHERE a.loan_day_id = d.id AND a.status = 'booked')
 ORDER BY d.day, d.starts_at, d.id
 LIMIT $3`

// LoanDays lists the commune's transaction days from from on with room.
func (tx *Tx) LoanDays(ctx context.Context, communeCode string, from time.Time, limit int) ([]domain.LoanDay, error) {
	var rows []loanDayRow
	if err := tx.X.SelectContext(ctx, &rows, loanDaysSQL, communeCode, from.Format("2006-01-02"), limit); err != nil {
		return nil, fmt.Errorf("listing loan days of %s: %w", communeCode, err)
	}
	out := make([]domain.LoanDay, len(rows))
	for i, r := range rows {
		out[i] = r.loanDay()
	}
	return out, nil
}

const insertLoanDaySQL = `
INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity, sample)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (commune_code, day, starts_at) DO UPDATE
   SET place = EXCLUDED.place, ends_at = EXCLUDED.ends_at, capacity = EXCLUDED.capacity, sample = EXCLUDED.sample
RETURNING id`

// UpsertLoanDay adds or updates a transaction day and returns its id.
func (tx *Tx) UpsertLoanDay(ctx context.Context, d domain.LoanDay) (int64, error) {
	var id int64
	err := tx.X.GetContext(ctx, &id, insertLoanDaySQL, d.CommuneCode, d.Day.Format("2006-01-02"), d.Place, d.StartsAt, d.EndsAt, d.Capacity, d.Sample)
	if err != nil {
		return 0, fmt.Errorf("saving loan day %s %s: %w", d.CommuneCode, d.Day.Format("2006-01-02"), err)
	}
	return id, nil
}

// The day's row lock serialises bookings of one day; the count runs as a
// separate statement so that, under READ COMMITTED, it sees the bookings
// committed while this transaction waited for the lock.
const (
	lockLoanDaySQL   = `SELECT capacity FROM loan_days WHERE id = $1 FOR UPDATE`
	countBookedSQL   = `SELECT count(*) FROM appointments WHERE loan_day_id = $1 AND status = 'booked'`
	insertBookingSQL = `INSERT INTO appointments (loan_day_id, person_id, created_at) VALUES ($1, $2, $3) RETURNING id`
)

// BookAppointment takes a place on a loan day unless it is full.
func (tx *Tx) BookAppointment(ctx context.Context, personID, loanDayID int64, at time.Time) (int64, bool, error) {
	var capacity int
	if err := tx.X.GetContext(ctx, &capacity, lockLoanDaySQL, loanDayID); err != nil {
		return 0, false, fmt.Errorf("locking loan day %d: %w", loanDayID, notFound(err))
	}
	var booked int
	if err := tx.X.GetContext(ctx, &booked, countBookedSQL, loanDayID); err != nil {
		return 0, false, fmt.Errorf("counting bookings of loan day %d: %w", loanDayID, err)
	}
	if booked >= capacity {
		return 0, false, nil
	}
	var id int64
	if err := tx.X.GetContext(ctx, &id, insertBookingSQL, loanDayID, personID, at.UTC()); err != nil {
		if IsUniqueViolation(err) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("booking loan day %d for %d: %w", loanDayID, personID, err)
	}
	return id, true, nil
}

const cancelAppointmentSQL = `UPDATE appointments SET status = 'cancelled', cancelled_at = $2 WHERE id = $1 AND status = 'booked'`

// CancelAppointment frees a booked place.
func (tx *Tx) CancelAppointment(ctx context.Context, id int64, at time.Time) error {
	if _, err := tx.X.ExecContext(ctx, cancelAppointmentSQL, id, at.UTC()); err != nil {
		return fmt.Errorf("cancelling appointment %d: %w", id, err)
	}
	return nil
}
