package app_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"reentrybot/app"
	"reentrybot/botapitest"
	"reentrybot/config"
	"reentrybot/dbtest"
	"reentrybot/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func start(t *testing.T, api *botapitest.Server, env map[string]string) *app.App {
	t.Helper()
	base := map[string]string{
		"TELEGRAM_BOT_TOKEN": api.Token(), "TELEGRAM_API_URL": api.URL(),
		"DATABASE_URL": dbtest.URL(t), "HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0",
	}
	for k, v := range env {
		base[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := base[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Stop() })
	return a
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadyMetrics(t *testing.T) {
	api := botapitest.NewTest(t) // after the app's Stop: cleanups run last first
	a := start(t, api, nil)
	u := api.NewUser("Tú", "vi")
	api.SendText(u, "/start")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := api.WaitMessages(ctx, u.ID, 1); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, "http://"+a.Addr+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("healthz %d %q", code, body)
	}
	if code, body := get(t, "http://"+a.Addr+"/readyz"); code != 200 {
		t.Fatalf("readyz %d %q", code, body)
	}
	if code, _ := get(t, "http://"+a.Addr+"/metrics"); code == 200 {
		t.Fatal("metrics served on the public listener")
	}
	if code, _ := get(t, "http://"+a.MetricsAddr+"/healthz"); code != 200 {
		t.Fatalf("healthz on the metrics listener: %d", code)
	}
	code, body := get(t, "http://"+a.MetricsAddr+"/metrics")
	if code != 200 {
		t.Fatalf("metrics %d", code)
	}
	for _, want := range []string{
		`reentrybot_updates_total{outcome="handled",type="command"} 1`,
		`reentrybot_sends_total{method="sendMessage",result="ok"}`,
		`reentrybot_update_handling_seconds_count{type="command"} 1`,
		"reentrybot_database_up 1",
		"reentrybot_open_cases 0",
		"reentrybot_oldest_unanswered_case_age_seconds 0",
		"reentrybot_pending_deliveries 0",
		"reentrybot_pending_relays 0",
		"reentrybot_last_update_timestamp_seconds 1",
		`go_sql_max_open_connections{db_name="reentrybot"} 40`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// No webhook endpoint in polling mode.
	resp, err := http.Post("http://"+a.Addr+app.WebhookPath, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Fatal("webhook endpoint answered in polling mode")
	}
	// readyz tells when the database is gone.
	a.DB.Close()
	if code, _ := get(t, "http://"+a.Addr+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with the database closed: %d", code)
	}
}

// In webhook mode the test server pushes updates with the secret header.
func TestWebhookMode(t *testing.T) {
	api := botapitest.NewTest(t) // after the app's Stop: cleanups run last first
	addr := freeAddr(t)
	start(t, api, map[string]string{
		"HTTP_ADDR": addr, "WEBHOOK_URL": "http://" + addr + app.WebhookPath, "WEBHOOK_SECRET": "s3cret_Token",
	})
	u := api.NewUser("Vy", "vi")
	api.SendText(u, "/start")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := api.WaitMessages(ctx, u.ID, 1); err != nil {
		t.Fatal(err)
	}
	// The answer can reach the server before the server has recorded the
	// end of the delivery that caused it.
	for {
		ds := api.WebhookDeliveries()
		if len(ds) > 0 && ds[len(ds)-1].Status == 200 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("deliveries: %+v", ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The bot refuses a database whose schema is not its own: one migration
// behind with MIGRATE_ON_START=false (instead of migrating it), or one
// migrated by a newer binary (whatever MIGRATE_ON_START says).
func TestStartRefusesAnotherSchema(t *testing.T) {
	api := botapitest.New()
	t.Cleanup(api.Close)
	tests := []struct {
		name, migrate, want string
		ahead               bool
	}{
		{"behind, no migration on start", "false", "migrate up", false},
		{"ahead", "true", "newer than this version", true},
		{"ahead, no migration on start", "false", "newer than this version", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := dbtest.URLBehind(t)
			db, err := sql.Open("postgres", url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if tt.ahead {
				p, err := migrations.Provider(db)
				if err == nil {
					_, err = p.Up(context.Background())
				}
				if err == nil {
					_, err = db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (99999, true)`)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			env := map[string]string{
				"TELEGRAM_BOT_TOKEN": api.Token(), "TELEGRAM_API_URL": api.URL(), "DATABASE_URL": url,
				"HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "off", "MIGRATE_ON_START": tt.migrate,
			}
			cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if err != nil {
				t.Fatal(err)
			}
			a, err := app.Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				a.Stop()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if pending, err := migrations.Pending(context.Background(), db); err != nil || pending == tt.ahead {
				t.Errorf("pending %v (%v): the database was migrated, or not as set up", pending, err)
			}
		})
	}
}
