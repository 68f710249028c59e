package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// Small reads the other rooms need, here so that SQL stays in store.

// HadCase reports whether the person ever had a case, open or closed.
func (tx *Tx) HadCase(ctx context.Context, personID int64) (bool, error) {
	var had bool
	if err := tx.X.GetContext(ctx, &had, `SELECT EXISTS (SELECT 1 FROM cases WHERE person_id = $1)`, personID); err != nil {
		return false, fmt.Errorf("reading the cases of %d: %w", personID, err)
	}
	return had, nil
}

// StaffName is a staff member's display name (what a returnee sees).
func (db *DB) StaffName(ctx context.Context, id int64) (string, error) {
	var name string
	if err := db.X.GetContext(ctx, &name, `SELECT display_name FROM staff WHERE id = $1`, id); err != nil {
		return "", fmt.Errorf("reading the name of staff %d: %w", id, notFound(err))
	}
	return name, nil
}

// UnknownCommunes returns the codes among codes that name no commune.
func (db *DB) UnknownCommunes(ctx context.Context, codes []string) ([]string, error) {
	var unknown []string
	if err := db.X.SelectContext(ctx, &unknown, `
SELECT c FROM unnest($1::text[]) AS c WHERE NOT EXISTS (SELECT 1 FROM communes WHERE code = c) ORDER BY c`, pq.Array(codes)); err != nil {
		return nil, fmt.Errorf("checking communes: %w", err)
	}
	return unknown, nil
}

// SampleCourses counts the courses marked as sample data.
func (tx *Tx) SampleCourses(ctx context.Context) (int, error) {
	var n int
	if err := tx.X.GetContext(ctx, &n, `SELECT count(*) FROM courses WHERE sample`); err != nil {
		return 0, fmt.Errorf("counting sample courses: %w", err)
	}
	return n, nil
}
