package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/config"
	"reentrybot/dbtest"
)

func TestCheck(t *testing.T) {
	api := botapitest.New(botapitest.WithBotUser(7000002, "reentry_check_bot"))
	t.Cleanup(api.Close)
	good := dbtest.URL(t)
	behind, _ := dbtest.URLBehind(t)
	bound := dbtest.URL(t)
	zaloOK, zaloStopped, zaloExpired := dbtest.URL(t), dbtest.URL(t), dbtest.URL(t)
	// The check compares with the program's clock, which the date guard
	// moves: the tokens' times are set from it.
	now := clock.System().UTC()
	stamp := func(d time.Duration) string { return "'" + now.Add(d).Format(time.RFC3339) + "'" }
	const tokens = `INSERT INTO zalo_tokens (oa_id, access_token, refresh_token, access_expires_at, refresh_expires_at, refreshed_at, needs_admin)
	                VALUES ('4455', 'a', 'r', %s, %s, %s, %s)`
	for url, q := range map[string]string{
		bound:       `INSERT INTO settings (key, value) VALUES ('staff_group', '-100123')`,
		zaloOK:      fmt.Sprintf(tokens, stamp(time.Hour), stamp(40*24*time.Hour), stamp(-time.Hour), "NULL"),
		zaloStopped: fmt.Sprintf(tokens, stamp(time.Hour), stamp(40*24*time.Hour), stamp(-time.Hour), "'the refresh token was already used'"),
		zaloExpired: fmt.Sprintf(tokens, stamp(-24*time.Hour), stamp(-time.Hour), stamp(-90*24*time.Hour), "NULL"),
	} {
		db, err := sql.Open("postgres", url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	base := map[string]string{"TELEGRAM_BOT_TOKEN": api.Token(), "TELEGRAM_API_URL": api.URL(), "WEBHOOK_URL": "", "WEBHOOK_SECRET": ""}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		want     []string
		not      []string
	}{
		{"polling, no staff group yet", map[string]string{"DATABASE_URL": good}, nil, 0,
			[]string{"ok    database reachable", "ok    migrations current", "warn  staff group bound", "ok    Bot API reachable (getMe): @reentry_check_bot", "ok    no webhook (long polling)", "ok    time zone: Asia/Ho_Chi_Minh"}, nil},
		{"staff group bound", map[string]string{"DATABASE_URL": bound}, nil, 0,
			[]string{"ok    staff group bound: -100123"}, []string{"warn", "FAIL"}},
		{"webhook not registered", map[string]string{"DATABASE_URL": bound, "WEBHOOK_URL": "https://bot.example.org/telegram/webhook", "WEBHOOK_SECRET": "s3cret"}, nil, 1,
			[]string{"FAIL  webhook registered"}, nil},
		{"one migration behind", map[string]string{"DATABASE_URL": behind}, []string{"--offline"}, 1,
			[]string{"FAIL  migrations current: the database is behind", "migrate up"}, []string{"Bot API"}},
		{"database unreachable", map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/x?sslmode=disable"}, []string{"--offline"}, 1,
			[]string{"FAIL  database reachable"}, nil},
		{"zalo connected", map[string]string{"DATABASE_URL": zaloOK, "ZALO_OA_ID": "4455", "ZALO_APP_ID": "1", "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET": "o"}, []string{"--offline"}, 0,
			[]string{"ok    Zalo OA connected: OA 4455, refresh token valid until " + now.Add(40*24*time.Hour).Format("2006-01-02")}, nil},
		{"zalo not connected", map[string]string{"DATABASE_URL": good, "ZALO_OA_ID": "4455", "ZALO_APP_ID": "1", "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET": "o"}, []string{"--offline"}, 1,
			[]string{"FAIL  Zalo OA connected: OA 4455 has no token"}, nil},
		{"zalo stopped", map[string]string{"DATABASE_URL": zaloStopped, "ZALO_OA_ID": "4455", "ZALO_APP_ID": "1", "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET": "o"}, []string{"--offline"}, 1,
			[]string{"FAIL  Zalo OA connected: OA 4455 stopped (the refresh token was already used)"}, nil},
		{"zalo refresh token expired", map[string]string{"DATABASE_URL": zaloExpired, "ZALO_OA_ID": "4455", "ZALO_APP_ID": "1", "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET": "o"}, []string{"--offline"}, 1,
			[]string{"FAIL  Zalo OA connected: OA 4455: the refresh token expired"}, nil},
		{"bad configuration", map[string]string{"DATABASE_URL": good, "LOG_FORMAT": "xml"}, nil, 1,
			[]string{"FAIL  configuration", "LOG_FORMAT"}, []string{"database"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"LOG_FORMAT": "text"}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			code, out, errOut := runCmd(t, env, append([]string{"check"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
		})
	}
}

func TestConfigCommand(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("987654:do-not-print-me\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN_FILE": tokenFile,
		"DATABASE_URL": "postgres://bot:hunter2@db/reentrybot?sslmode=disable", "LOG_FORMAT": "json",
	}, "config")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"987654:****", "(file " + tokenFile + ")", "postgres://bot:xxxxx@db/reentrybot", "LOG_FORMAT", "json"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	for _, secret := range []string{"do-not-print-me", "hunter2"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("a secret is printed:\n%s", out)
		}
	}
	if code, _, errOut := runCmd(t, map[string]string{"TELEGRAM_BOT_TOKEN_FILE": "", "LOG_FORMAT": "xml"}, "config"); code != 1 || !strings.Contains(errOut, "LOG_FORMAT") {
		t.Errorf("bad setting: exit %d, %q", code, errOut)
	}
}

func TestJSONLogs(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, config.Config{LogFormat: "json"}).Info("started", "chat", 5)
	if !strings.HasPrefix(buf.String(), `{"time":`) || !strings.Contains(buf.String(), `"chat":5`) {
		t.Errorf("json log line %q", buf.String())
	}
}
