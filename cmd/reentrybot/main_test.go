package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"reentrybot/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

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
