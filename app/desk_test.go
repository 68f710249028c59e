package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"reentrybot/app"
	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/config"
	"reentrybot/dbtest"
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
	t.Cleanup(func() { a.Stop() })
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

	base := "http://" + a.DeskAddr
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	csrfRe, secretRe := regexp.MustCompile(`name="csrf" value="([^"]+)"`), regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)
	var csrf string
	do := func(method, path string, form url.Values) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if m := csrfRe.FindSubmatch(b); m != nil {
			csrf = string(m[1])
		}
		return resp.StatusCode, string(b)
	}
	otp := func(secret string) string {
		code, err := totp.GenerateCode(secret, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	_, body := do("GET", "/invite/"+code, nil)
	m := secretRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("invite page:\n%s", body)
	}
	secret := m[1]
	if st, body := do("POST", "/invite/"+code, url.Values{"csrf": {csrf}, "login": {"hanh"}, "password": {"mật khẩu dài 2026"},
		"password2": {"mật khẩu dài 2026"}, "secret": {secret}, "totp": {otp(secret)}}); st != http.StatusOK || !strings.Contains(body, "Đã tạo tài khoản") {
		t.Fatalf("redeem: %d\n%s", st, body)
	}
	clk.Advance(30 * time.Second)
	if st, body := do("POST", "/signin", url.Values{"csrf": {csrf}, "login": {"hanh"}, "password": {"mật khẩu dài 2026"}, "code": {otp(secret)}}); st != http.StatusOK || !strings.Contains(body, "/case/"+strconv.FormatInt(caseID, 10)) {
		t.Fatalf("sign-in to the queue: %d\n%s", st, body)
	}
	path := "/case/" + strconv.FormatInt(caseID, 10)
	do("GET", path, nil)
	if st, _ := do("POST", path+"/answer", url.Values{"csrf": {csrf}, "text": {"Chào anh Bình, mai anh qua Trung tâm nhé."}}); st != http.StatusOK {
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
}
