package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// JobNeed is one job need registered in a month: the person's profile and
// the answers of their job case, one row per case, for the Employment
// Service Centre's register of job seekers.
type JobNeed struct {
	CaseID        int64          `db:"case_id"`
	OpenedAt      time.Time      `db:"opened_at"`
	FullName      sql.NullString `db:"full_name"`
	BirthYear     sql.NullInt64  `db:"birth_year"`
	Gender        sql.NullString `db:"gender"`
	Phone         sql.NullString `db:"phone"`
	CommuneCode   sql.NullString `db:"commune_code"`
	CommuneName   sql.NullString `db:"commune_name"`
	Education     sql.NullString `db:"education"`
	Qualification string         `db:"qualification"`
	Status        string         `db:"work_status"`
	Trades        pq.StringArray `db:"trades"`
	TradesOther   string         `db:"trades_other"`
	Where         string         `db:"work_where"`
	Hours         string         `db:"hours"`
	Wage          string         `db:"wage"`
	Start         string         `db:"start"`
	Abroad        string         `db:"abroad"`
	Priority      pq.StringArray `db:"priority"`
}

// Erased people are left out: their cases keep only trade codes, and the
// register is of people the Centre can contact.
const jobNeedsSQL = `
SELECT c.id AS case_id, c.opened_at, p.full_name, p.birth_year, p.gender, p.phone,
       c.commune_code, m.name AS commune_name, p.education,
       COALESCE(c.answers->>'qualification', '') AS qualification,
       COALESCE(c.answers->>'work_status', '') AS work_status,
       ARRAY(SELECT jsonb_array_elements_text(
               CASE WHEN jsonb_typeof(c.answers->'trades') = 'array' THEN c.answers->'trades' ELSE '[]' END)) AS trades,
       COALESCE(c.answers->>'trades_other', '') AS trades_other,
       COALESCE(c.answers->>'where', '') AS work_where,
       COALESCE(c.answers->>'hours', '') AS hours,
       COALESCE(c.answers->>'wage', '') AS wage,
       COALESCE(c.answers->>'start', '') AS start,
       COALESCE(c.answers->>'abroad', '') AS abroad,
       ARRAY(SELECT jsonb_array_elements_text(
               CASE WHEN jsonb_typeof(c.answers->'priority') = 'array' THEN c.answers->'priority' ELSE '[]' END)) AS priority
  FROM cases c
  JOIN people p ON p.id = c.person_id
  LEFT JOIN communes m ON m.code = c.commune_code
 WHERE c.kind = 'job' AND c.opened_at >= $1 AND c.opened_at < $2
   AND p.erased_at IS NULL
   AND ($3 = '' OR c.commune_code = $3)
 ORDER BY c.commune_code, c.opened_at, c.id`

// JobNeeds lists the job needs registered in [from, to), of one commune
// when commune is set.
func (db *DB) JobNeeds(ctx context.Context, from, to time.Time, commune string) ([]JobNeed, error) {
	var out []JobNeed
	if err := db.X.SelectContext(ctx, &out, jobNeedsSQL, from.UTC(), to.UTC(), commune); err != nil {
		return nil, fmt.Errorf("job needs %s–%s: %w", from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return out, nil
}
