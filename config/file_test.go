package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	token := write("token", "123456:abc_DEF\n")
	dbURL := write("db", "postgres://bot:pw@db/reentrybot?sslmode=disable\n")
	secret := write("secret", "s3cret\n")
	empty := write("empty", "\n")
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Config) bool
		wantErr string
	}{
		{"every secret from a file", map[string]string{
			"TELEGRAM_BOT_TOKEN_FILE": token, "DATABASE_URL_FILE": dbURL, "WEBHOOK_SECRET_FILE": secret,
		}, func(c Config) bool {
			return c.TelegramToken == "123456:abc_DEF" && c.DatabaseURL == "postgres://bot:pw@db/reentrybot?sslmode=disable" && c.WebhookSecret == "s3cret"
		}, ""},
		{"a file's content is checked like the variable", map[string]string{"TELEGRAM_BOT_TOKEN_FILE": secret}, nil, "TELEGRAM_BOT_TOKEN"},
		{"both set", map[string]string{"TELEGRAM_BOT_TOKEN_FILE": token, "TELEGRAM_BOT_TOKEN": "1:x"}, nil, "TELEGRAM_BOT_TOKEN_FILE: set together"},
		{"missing file", map[string]string{"DATABASE_URL_FILE": filepath.Join(dir, "nope")}, nil, "DATABASE_URL_FILE"},
		{"empty file", map[string]string{"WEBHOOK_SECRET_FILE": empty}, nil, "WEBHOOK_SECRET_FILE"},
		{"json logs, metrics off, no migration", map[string]string{"LOG_FORMAT": "JSON", "METRICS_ADDR": "off", "MIGRATE_ON_START": "false"},
			func(c Config) bool { return c.LogFormat == "json" && c.MetricsAddr == "" && !c.MigrateOnStart }, ""},
		{"defaults", map[string]string{},
			func(c Config) bool {
				return c.LogFormat == "text" && c.MetricsAddr == "127.0.0.1:9090" && c.MigrateOnStart
			}, ""},
		{"bad format", map[string]string{"LOG_FORMAT": "xml"}, nil, "LOG_FORMAT"},
		{"bad metrics addr", map[string]string{"METRICS_ADDR": "9090"}, nil, "METRICS_ADDR"},
		{"bad migrate", map[string]string{"MIGRATE_ON_START": "sometimes"}, nil, "MIGRATE_ON_START"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Fatalf("unexpected config %+v", c)
			}
		})
	}
}

func TestDescribeMasksSecrets(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte("hook_secret_value"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := map[string]Setting{}
	for _, s := range Describe(env(map[string]string{
		"TELEGRAM_BOT_TOKEN":  "123456:very_secret_part",
		"DATABASE_URL":        "postgres://bot:dbpassword@db.internal/reentrybot?sslmode=disable",
		"WEBHOOK_SECRET_FILE": p,
		"WORKERS":             "8",
	})) {
		got[s.Name] = s
	}
	for name, want := range map[string]Setting{
		"TELEGRAM_BOT_TOKEN": {Value: "123456:****", Source: "environment"},
		"DATABASE_URL":       {Value: "postgres://bot:xxxxx@db.internal/reentrybot?sslmode=disable", Source: "environment"},
		"WEBHOOK_SECRET":     {Value: "****", Source: "file " + p},
		"WORKERS":            {Value: "8", Source: "environment"},
		"SEND_RATE":          {Value: "25", Source: "default"},
	} {
		if g := got[name]; g.Value != want.Value || g.Source != want.Source {
			t.Errorf("%s: got %q from %q, want %q from %q", name, g.Value, g.Source, want.Value, want.Source)
		}
	}
	if len(got) != len(Vars) {
		t.Errorf("%d settings, want one per variable (%d)", len(got), len(Vars))
	}
}
