package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"reentrybot/dbtest"
)

// fingerprint sums up what an admin command could change.
func fingerprint(t *testing.T, db *sql.DB) string {
	t.Helper()
	var s string
	err := db.QueryRow(`SELECT concat_ws(' ',
		(SELECT count(*) FROM goose_db_version), (SELECT max(version_id) FROM goose_db_version),
		(SELECT count(*) FROM communes), (SELECT count(*) FROM staff), (SELECT count(*) FROM staff_invites),
		(SELECT count(*) FROM people), (SELECT count(*) FROM audit_log))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every admin command refuses a database one migration behind, says what
// to do, and changes nothing (it used to migrate it).
func TestAdminCommandsRefusePendingMigrations(t *testing.T) {
	url, behind := dbtest.URLBehind(t)
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := fingerprint(t, db)
	out := t.TempDir()
	env := map[string]string{"DATABASE_URL": url, "TELEGRAM_BOT_TOKEN": ""}
	for _, args := range [][]string{
		{"staff", "list"},
		{"staff", "invite", "--role", "counsellor", "--communes", "all", "--name", "Chị Lan", "--bot", "reentry_bot", "--qr", filepath.Join(out, "qr.png")},
		{"staff", "revoke", "--id", "1"},
		{"audit", "--case", "1"},
		{"import", "communes"},
		{"export", "communes", filepath.Join(out, "communes.csv")},
		{"report", "--month", "2026-11", "--format", "csv", "--out", filepath.Join(out, "r.csv")},
		{"retention", "--dry-run"},
		{"retention"},
	} {
		t.Run(strings.Join(args[:min(2, len(args))], " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, env, args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stdout %q, stderr %q", code, stdout, stderr)
			}
			for _, want := range []string{"behind", "1 migration(s) pending", behind, "reentrybot migrate up", "reentrybot backup"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("message lacks %q: %s", want, stderr)
				}
			}
			if after := fingerprint(t, db); after != before {
				t.Errorf("database changed: %s → %s", before, after)
			}
		})
	}
}

// An older binary refuses a database a newer one migrated.
func TestAdminCommandRefusesNewerDatabase(t *testing.T) {
	url := dbtest.URL(t)
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd(t, map[string]string{"DATABASE_URL": url}, "staff", "list")
	if code != 1 || !strings.Contains(errOut, "at migration 99999, newer than this version") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
