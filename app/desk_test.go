package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"reentrybot/app"
	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/config"
	"reentrybot/dbtest"
	"reentrybot/desk/desktest"
	"reentrybot/store"
)

// The desk on its own listener, end to end with the bot: a counsellor
// redeems an invite on the web, signs in, answers a Telegram returnee's
// case, and the answer reaches the returnee in Telegram, signed with the
// counsellor's display name.
func TestDeskAnswerReachesTelegram(t *testing.T) {
	api := botapitest.NewTest(t)
	env := map[string]string{
		"TELEGRAM_BOT_TOKEN": api.Token(), "TELEGRAM_API_URL": api.URL(), "DATABASE_URL": dbtest.URL(t),
		"HTTP_ADDR": "127.0.0.1:0", "DESK_ADDR": "127.0.0.1:0",
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC))
	a, err := app.Start(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), app.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			a.Stop()
		}
	})
	if a.DeskAddr == "" {
		t.Fatal("no desk listener with DESK_ADDR set")
	}
	ctx := context.Background()
	u := api.NewUser("Bình", "vi")
	var caseID int64
	err = a.DB.InTx(ctx, func(tx *store.Tx) error {
		ref := strconv.FormatInt(u.ID, 10)
		p, err := tx.TouchPerson(ctx, "telegram", ref, ref, "vi")
		if err != nil {
			return err
		}
		return tx.X.GetContext(ctx, &caseID, `INSERT INTO cases (person_id, kind, commune_code, opened_at, updated_at) VALUES ($1, 'job', '07840', $2, $2) RETURNING id`, p.ID, clk.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	code, hash := bot.NewInviteCode()
	if _, err := a.DB.CreateInvite(ctx, store.RoleCounsellor, []string{"07840"}, "Chị Hạnh", hash, clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := desktest.Member(t, "http://"+a.DeskAddr, code, "hanh", clk.Now())
	path := "/case/" + strconv.FormatInt(caseID, 10)
	if st, body, _ := b.Get("/queue"); st != http.StatusOK || !strings.Contains(body, path) {
		t.Fatalf("queue: %d\n%s", st, body)
	}
	b.Get(path)
	if st, _, _ := b.Post(path+"/answer", url.Values{"csrf": {b.CSRF}, "text": {"Chào anh Bình, mai anh qua Trung tâm nhé."}}); st != http.StatusSeeOther {
		t.Fatalf("answer: %d", st)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msgs, err := api.WaitMessages(wctx, u.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := msgs[0].Text; !strings.Contains(got, "Chị Hạnh") || !strings.Contains(got, "mai anh qua Trung tâm") {
		t.Errorf("the returnee got %q", got)
	}

	// A live stream open when the app stops ends at once: the desk's
	// graceful shutdown does not wait for it.
	resp, err := b.C.Get("http://" + a.DeskAddr + "/live?case=" + strconv.FormatInt(caseID, 10))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 64)
	if n, err := resp.Body.Read(first); err != nil || !strings.HasPrefix(string(first[:n]), "event: update") {
		t.Fatalf("the stream's first update: %q %v", first[:n], err)
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		ended <- err
	}()
	stopped = true
	a.Stop()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Error("the live stream still open 10 s after Stop")
	}
}
