package demo_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"reentrybot/config"
	"reentrybot/dbtest"
	"reentrybot/demo"
)

// The demo starts the fake Zalo OA beside the test Bot API server, with
// the bot connected to it: a follower who follows the OA is greeted.
func TestDemoZaloFollowerIsGreeted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "off", "DATABASE_URL": dbtest.URL(t)}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	u := d.Zalo.NewUser("Lan")
	if dl, err := d.Zalo.Follow(u.ID); err != nil || dl.Status != http.StatusOK {
		t.Fatalf("follow: %+v %v", dl, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range d.Zalo.Messages(u.ID) {
			if strings.Contains(m.Text, "Xin chào") {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no greeting on Zalo: %+v", d.Zalo.Messages(u.ID))
}
