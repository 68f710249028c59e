package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// communesDB is a fresh database with the built-in communes imported, the
// environment that names it, and a connection for fixtures.
func communesDB(t *testing.T, env map[string]string) (map[string]string, *sqlx.DB) {
	t.Helper()
	url := dbtest.URL(t)
	env["DATABASE_URL"] = url
	if code, _, errOut := runCmd(t, env, "import", "communes"); code != 0 {
		t.Fatal(errOut)
	}
	x, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return env, x
}

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"serve", "--help"}, {"demo", "--help"}, {"migrate", "--help"}, {"version", "--help"}} {
		code, out, _ := runCmd(t, nil, args...)
		if code != 0 || !strings.Contains(out, "Usage") && !strings.Contains(out, "Commands") {
			t.Errorf("%v: code %d, output %q", args, code, out)
		}
	}
	if code, _, errOut := runCmd(t, nil, "fly"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: code %d, %q", code, errOut)
	}
}

func TestServeNamesMissingConfiguration(t *testing.T) {
	code, _, errOut := runCmd(t, map[string]string{"TELEGRAM_BOT_TOKEN": "", "DATABASE_URL": "", "LOG_LEVEL": "shout"}, "serve")
	if code != 1 {
		t.Fatalf("code %d", code)
	}
	for _, want := range []string{"TELEGRAM_BOT_TOKEN", "LOG_LEVEL"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("error does not name %s: %q", want, errOut)
		}
	}
}

func TestMigrate(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t)}
	// dbtest databases come migrated: roll one back, see it pending, apply it.
	if code, out, errOut := runCmd(t, env, "migrate", "down"); code != 0 || !strings.Contains(out, "rolled back") {
		t.Fatalf("down: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCmd(t, env, "migrate", "status"); code != 0 || !strings.Contains(out, "pending") {
		t.Fatalf("status: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, env, "migrate", "up"); code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("up: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, env, "migrate", "status"); code != 0 || strings.Contains(out, "pending") {
		t.Fatalf("status after up: %d %q", code, out)
	}
}

// The README's first command starts everything on this machine and answers
// /start.
func TestDemoAnswersStart(t *testing.T) {
	code, out, errOut := runCmd(t, map[string]string{"DATABASE_URL": ""}, "demo", "--script")
	if code != 0 {
		t.Fatalf("demo exited %d: %s %s", code, out, errOut)
	}
	if !strings.Contains(out, "/start → ") || !strings.Contains(out, "reentrybot demo is running") {
		t.Fatalf("demo output: %s", out)
	}
}

func TestStaffAndAudit(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t), "TELEGRAM_BOT_TOKEN": ""}
	qr := t.TempDir() + "/invite.png"
	code, out, errOut := runCmd(t, env, "staff", "invite", "--role", "counsellor", "--communes", "all", "--name", "Chị Lan", "--bot", "reentry_bot", "--qr", qr)
	if code != 0 || !strings.Contains(out, "https://t.me/reentry_bot?start=s_") {
		t.Fatalf("invite: %d %q %q", code, out, errOut)
	}
	png, err := os.ReadFile(qr)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("QR code not written as PNG: %v", err)
	}
	for _, bad := range [][]string{
		{"--role", "boss", "--communes", "all", "--name", "X", "--bot", "b"},
		{"--role", "officer", "--communes", "all", "--name", "X", "--bot", "b"},
		{"--role", "officer", "--communes", "99999", "--name", "X", "--bot", "b"},
		{"--role", "counsellor", "--communes", "all", "--name", "", "--bot", "b"},
	} {
		if code, _, errOut := runCmd(t, env, append([]string{"staff", "invite"}, bad...)...); code == 0 {
			t.Errorf("invite %v accepted", bad)
		} else if !strings.Contains(errOut, "--") {
			t.Errorf("invite %v: error does not name the flag: %q", bad, errOut)
		}
	}
	if code, out, _ := runCmd(t, env, "staff", "list"); code != 0 || !strings.Contains(out, "Chị Lan") || !strings.Contains(out, "invited") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, env, "staff", "revoke", "--id", "1"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, env, "staff", "list"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("list after revoke: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, env, "audit", "--case", "1"); code != 0 || !strings.Contains(out, "no audit entries") {
		t.Fatalf("audit: %d %q", code, out)
	}
	db, err := store.Open(context.Background(), env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.X.Exec(`INSERT INTO people (external_id, chat_ref) VALUES ('5', '5');
		INSERT INTO cases (person_id, kind) VALUES (1, 'job')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(context.Background(), 1, 0, "view", 1, "card"); err != nil {
		t.Fatal(err)
	}
	if err := db.Audit(context.Background(), 0, 77, "denied_command", 0, "queue"); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd(t, env, "audit", "--case", "1"); code != 0 || !strings.Contains(out, "view") || !strings.Contains(out, "Chị Lan") || strings.Contains(out, "denied") {
		t.Fatalf("audit --case 1: %d %q", code, out)
	}
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	if code, out, _ := runCmd(t, env, "audit", "--day", clock.System().In(hcm).Format("2006-01-02")); code != 0 || !strings.Contains(out, "telegram user 77 (not staff)") {
		t.Fatalf("audit --day: %d %q", code, out)
	}
}
