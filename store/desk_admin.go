package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The desk's admin pages (package desk): the audit log a page at a time,
// and imports tried without committing (a preview).

// ErrDryRun is what InTx returns for a transaction run under DryRun: fn
// succeeded and everything it wrote was rolled back.
var ErrDryRun = errors.New("dry run: rolled back")

type dryRunKey struct{}

// DryRun makes every transaction InTx runs under the returned context roll
// back instead of committing, returning ErrDryRun. The desk previews a
// reference data import with it: the very import, with every check the
// CLI's makes, whose counts are what applying it would do.
func DryRun(ctx context.Context) context.Context { return context.WithValue(ctx, dryRunKey{}, true) }

func dryRun(ctx context.Context) bool { v, _ := ctx.Value(dryRunKey{}).(bool); return v }

// dayRange is the filter's day as a time range (nulls without a day).
func (f AuditFilter) dayRange() (from, to sql.NullTime) {
	if f.Day.IsZero() {
		return from, to
	}
	loc := f.Loc
	if loc == nil {
		loc = time.UTC
	}
	d := time.Date(f.Day.Year(), f.Day.Month(), f.Day.Day(), 0, 0, 0, 0, loc)
	return sql.NullTime{Time: d, Valid: true}, sql.NullTime{Time: d.AddDate(0, 0, 1), Valid: true}
}

// AuditPage is one page of the audit log, newest first.
type AuditPage struct {
	Entries []AuditEntry
	Total   int // lines matching the filter
}

// AuditLogPage lists the lines matching f, newest first, skipping offset
// and returning at most limit.
func (db *DB) AuditLogPage(ctx context.Context, f AuditFilter, offset, limit int) (AuditPage, error) {
	from, to := f.dayRange()
	const where = `
 WHERE ($1 = 0 OR a.case_id = $1) AND ($2 = 0 OR a.staff_id = $2)
   AND ($3::timestamptz IS NULL OR (a.at >= $3 AND a.at < $4))`
	var p AuditPage
	if err := db.X.GetContext(ctx, &p.Total, `SELECT count(*) FROM audit_log a`+where, f.CaseID, f.StaffID, from, to); err != nil {
		return p, fmt.Errorf("counting audit log: %w", err)
	}
	err := db.X.SelectContext(ctx, &p.Entries, `
SELECT a.id, a.at, a.staff_id, a.telegram_user_id, a.action, a.case_id, a.detail, s.display_name AS staff_name
  FROM audit_log a LEFT JOIN staff s ON s.id = a.staff_id`+where+`
 ORDER BY a.at DESC, a.id DESC OFFSET $5 LIMIT $6`, f.CaseID, f.StaffID, from, to, offset, limit)
	if err != nil {
		return p, fmt.Errorf("reading audit log page: %w", err)
	}
	return p, nil
}
