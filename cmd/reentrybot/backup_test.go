package main

import (
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"reentrybot/dbtest"
)

// people and cases as text, to compare a database before and after.
func peopleAndCases(t *testing.T, dbURL string) string {
	t.Helper()
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	err = db.QueryRow(`SELECT concat(
		(SELECT string_agg(concat_ws('|', id, external_id, full_name, birth_year, phone, commune_code, created_at), E'\n' ORDER BY id) FROM people), E'\n--\n',
		(SELECT string_agg(concat_ws('|', id, person_id, kind, status, answers::text, opened_at), E'\n' ORDER BY id) FROM cases))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// backup → drop the database → restore → the same people and cases, for a
// plain and an encrypted backup.
func TestBackupDropRestore(t *testing.T) {
	for _, encrypted := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "encrypted"}[encrypted], func(t *testing.T) {
			dbURL := dbtest.URL(t)
			db, err := sql.Open("postgres", dbURL)
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.Exec(`
INSERT INTO people (external_id, chat_ref, full_name, birth_year, phone, commune_code) VALUES
  ('101', '101', 'Nguyễn Văn Minh', 1990, '0912345678', '07840'),
  ('102', '102', 'Trần Thị Hoa', 1985, NULL, NULL);
INSERT INTO cases (person_id, kind, status, answers) VALUES
  (1, 'job', 'new', '{"trade": "hàn"}'), (2, 'loan', 'closed', '{}')`)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := peopleAndCases(t, dbURL)
			dir := t.TempDir()
			env := map[string]string{"DATABASE_URL": dbURL}
			args := []string{"backup", "--dir", dir}
			key := filepath.Join(dir, "backup.key")
			if encrypted {
				if code, out, errOut := runCmd(t, nil, "backup", "--new-key", key); code != 0 || !strings.Contains(out, "public key: age1") {
					t.Fatalf("new key: %d %q %q", code, out, errOut)
				}
				args = append(args, "--key", key)
			}
			code, out, errOut := runCmd(t, env, args...)
			if code != 0 {
				t.Fatalf("backup: %d %q %q", code, out, errOut)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "reentrybot-*.dump*"))
			if len(files) != 1 {
				t.Fatalf("backup files: %v", files)
			}
			b, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			if head := string(b[:5]); encrypted && strings.Contains(string(b), "Nguyễn") || !encrypted && head != "PGDMP" {
				t.Fatalf("backup content (encrypted %v) starts %q", encrypted, b[:min(len(b), 30)])
			}
			if st, _ := os.Stat(files[0]); st.Mode().Perm() != 0o600 {
				t.Errorf("backup mode %v, want 0600", st.Mode().Perm())
			}

			recreate(t, dbURL)
			rargs := []string{"restore", "--in", files[0]}
			if encrypted {
				if code, _, errOut := runCmd(t, env, rargs...); code == 0 || !strings.Contains(errOut, "--key") {
					t.Fatalf("restore of an encrypted backup without the key: %d %q", code, errOut)
				}
				rargs = append(rargs, "--key", key)
			}
			if code, out, errOut := runCmd(t, env, rargs...); code != 0 || !strings.Contains(out, "migrate status") {
				t.Fatalf("restore: %d %q %q", code, out, errOut)
			}
			if got := peopleAndCases(t, dbURL); got != want {
				t.Fatalf("after restore:\n%s\nwant:\n%s", got, want)
			}
			// The drill's last steps: nothing pending, and a second restore
			// into the now full database is refused without --clean.
			if code, out, _ := runCmd(t, env, "migrate", "status"); code != 0 || strings.Contains(out, "pending") {
				t.Fatalf("migrate status after restore: %d %q", code, out)
			}
			if code, _, errOut := runCmd(t, env, rargs...); code == 0 || !strings.Contains(errOut, "--clean") {
				t.Fatalf("restore into a full database: %d %q", code, errOut)
			}
			if code, _, errOut := runCmd(t, env, append(rargs, "--clean")...); code != 0 {
				t.Fatalf("restore --clean: %d %q", code, errOut)
			}
			if got := peopleAndCases(t, dbURL); got != want {
				t.Fatalf("after restore --clean:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// recreate drops the database of dbURL and creates it again, empty.
func recreate(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := pq.QuoteIdentifier(strings.TrimPrefix(u.Path, "/"))
	admin, err := sql.Open("postgres", dbtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{"DROP DATABASE " + name + " WITH (FORCE)", "CREATE DATABASE " + name} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestPruneBackups(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 15, 3, 0, 0, 0, time.UTC)
	files := []struct {
		name string
		age  time.Duration
		kept bool
	}{
		{"reentrybot-20260301-030000.dump", 14 * 24 * time.Hour, false},
		{"reentrybot-20260302-030000.dump.age", 13*24*time.Hour + time.Hour, false},
		{"reentrybot-20260310-030000.dump.age", 5 * 24 * time.Hour, true},
		{"notes.txt", 100 * 24 * time.Hour, true},          // not a backup
		{"reentrybot-old.sql", 100 * 24 * time.Hour, true}, // not named as backup names them
		{"reentrybot-20260314-030000.dump", time.Hour, true},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-f.age), now.Add(-f.age)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pruneBackups(dir, now.Add(-7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if kept := err == nil; kept != f.kept {
			t.Errorf("%s: kept %v, want %v", f.name, kept, f.kept)
		}
	}
}
