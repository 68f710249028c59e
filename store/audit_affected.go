package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// AffectedFilter selects the audit lines of a suspected breach: who (a
// staff member, or a Telegram account that is not staff), which cases,
// which action, and the window [From, To).
type AffectedFilter struct {
	StaffID        int64
	TelegramUserID int64
	CaseIDs        []int64
	Action         string
	From, To       time.Time
}

// Affected is one person whose cases the selected audit lines touched.
type Affected struct {
	PersonID  int64          `db:"person_id"`
	Channel   string         `db:"channel"`
	Erased    bool           `db:"erased"`
	Reachable bool           `db:"reachable"`
	Commune   string         `db:"commune"`
	Cases     pq.Int64Array  `db:"cases"`
	Actions   pq.StringArray `db:"actions"`
	First     time.Time      `db:"first_at"`
	Last      time.Time      `db:"last_at"`
}

// AffectedPeople lists, for the 72-hour breach notice, the people whose
// cases the audit lines matching f touched (viewed, cards posted, taken,
// answered...), one row per person with their case numbers. Erased people
// appear as their anonymous record (channel "erased"): nothing links them
// to anyone any more, so there is nobody to notify.
func (db *DB) AffectedPeople(ctx context.Context, f AffectedFilter) ([]Affected, error) {
	if !f.From.Before(f.To) {
		return nil, fmt.Errorf("affected people: the window %s – %s is empty", f.From, f.To)
	}
	cases := f.CaseIDs
	if cases == nil {
		cases = []int64{}
	}
	out := []Affected{}
	err := db.X.SelectContext(ctx, &out, `
SELECT c.person_id, p.channel, p.erased_at IS NOT NULL AS erased, p.reachable, coalesce(m.name, '') AS commune,
       array_agg(DISTINCT c.id ORDER BY c.id) AS cases, array_agg(DISTINCT a.action ORDER BY a.action) AS actions,
       min(a.at) AS first_at, max(a.at) AS last_at
  FROM audit_log a
  JOIN cases c ON c.id = a.case_id
  JOIN people p ON p.id = c.person_id
  LEFT JOIN communes m ON m.code = p.commune_code
 WHERE a.at >= $1 AND a.at < $2
   AND ($3 = 0 OR a.staff_id = $3) AND ($4 = 0 OR a.telegram_user_id = $4)
   AND (cardinality($5::bigint[]) = 0 OR a.case_id = ANY($5)) AND ($6 = '' OR a.action = $6)
 GROUP BY c.person_id, p.channel, p.erased_at, p.reachable, m.name
 ORDER BY c.person_id`, f.From, f.To, f.StaffID, f.TelegramUserID, pq.Array(cases), f.Action)
	if err != nil {
		return nil, fmt.Errorf("listing affected people: %w", err)
	}
	return out, nil
}

// PeopleHeld counts the people whose data the database holds (not erased),
// by channel: who is affected when the database itself leaks.
func (db *DB) PeopleHeld(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Channel string `db:"channel"`
		N       int    `db:"n"`
	}
	if err := db.X.SelectContext(ctx, &rows, `SELECT channel, count(*) AS n FROM people WHERE erased_at IS NULL GROUP BY channel`); err != nil {
		return nil, fmt.Errorf("counting people: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Channel] = r.N
	}
	return out, nil
}
