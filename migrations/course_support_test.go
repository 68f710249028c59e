package migrations_test

import (
	"context"
	"testing"

	"reentrybot/migrations"
)

// 00131 on a database that holds courses: every course keeps its row and
// its old single figure (no longer read), gains per-group figures of 0
// ("none given"), and the way down leaves the old schema.
func TestCourseSupportGroupsMigration(t *testing.T) {
	ctx := context.Background()
	x := emptyDB(t)
	p, err := migrations.Provider(x.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 130); err != nil {
		t.Fatal(err)
	}
	run(t, x, "testdata/courses-before-00131.sql")
	if _, err := p.UpTo(ctx, 131); err != nil {
		t.Fatal(err)
	}
	var n, legacy, groups int64
	if err := x.QueryRow(`SELECT count(*), sum(support_vnd),
       sum(support_disability_vnd + support_poor_ethnic_minority_vnd + support_ethnic_minority_vnd
           + support_poor_vnd + support_near_poor_vnd + support_other_vnd)
  FROM courses`).Scan(&n, &legacy, &groups); err != nil {
		t.Fatal(err)
	}
	if n != 2 || legacy != 3_000_000 || groups != 0 {
		t.Errorf("after 00131: %d courses, old figures %d, group figures %d; want 2, 3000000, 0", n, legacy, groups)
	}
	if _, err := x.Exec(`UPDATE courses SET support_poor_vnd = -1 WHERE code = 'K1'`); err == nil {
		t.Error("a negative support figure was accepted")
	}
	if _, err := p.DownTo(ctx, 130); err != nil {
		t.Fatal(err)
	}
	var cols int
	if err := x.QueryRow(`SELECT count(*) FROM information_schema.columns
 WHERE table_name = 'courses' AND column_name LIKE 'support_%'`).Scan(&cols); err != nil || cols != 1 {
		t.Errorf("after down: %d support columns (%v), want 1", cols, err)
	}
}
