package zalo_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/bot"
	"reentrybot/bot/casework"
	"reentrybot/botapitest"
	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
	"reentrybot/webchat"
	"reentrybot/zalo"
	"reentrybot/zalotest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var vn = func() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return l
}()

// Template ids the fake OA has approved, by tag.
var templates = map[string]int{"care-1": zalotest.TagCare, "remind-1": zalotest.TagTransaction, "news-1": zalotest.TagPromotion}

func channelTemplates() map[channel.Purpose]zalo.Template {
	return map[channel.Purpose]zalo.Template{
		channel.PurposeCounsellor:   {ID: "care-1"},
		channel.PurposeFollowUp:     {ID: "care-1"},
		channel.PurposeReminder:     {ID: "remind-1", Transaction: true},
		channel.PurposeAnnouncement: {ID: "news-1"},
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// rig is the bot with the Zalo channel on a fresh database, the fake OA
// posting to the channel's webhook, and the test Bot API server for the
// staff's side; one fake clock for all of them.
type rig struct {
	t    *testing.T
	ctx  context.Context
	clk  *clock.Fake
	db   *store.DB
	x    *sqlx.DB
	url  string // the database, for a second process
	api  *botapitest.Server
	bot  *bot.Bot
	fake *zalotest.Server
	ch   *zalo.Channel
	hook *httptest.Server
	dl   *httptest.Server // the download links (webchat.Downloads)
	cat  *i18n.Catalog
	// menus are the numbered lists shown after each action, newest last.
	menus []store.Menu
}

type rigOpts struct {
	start   time.Time
	echo    bool
	paidCap int
	retries int
	sweep   time.Duration // the bot's sweep of pending relays (15 s when zero)
	noLinks bool          // no public address: no download links
}

func newRig(t *testing.T, o rigOpts) *rig {
	t.Helper()
	if o.start.IsZero() {
		o.start = time.Date(2026, 11, 16, 9, 0, 0, 0, vn)
	}
	if o.paidCap == 0 {
		o.paidCap = 100
	}
	clk := clock.NewFake(o.start)
	url := dbtest.URL(t)
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x := db.X
	db.SetClock(clk.Now)
	log := testLogger()
	cat, err := i18n.Load(log)
	if err != nil {
		t.Fatal(err)
	}
	fake := zalotest.New(zalotest.Options{Now: clk.Now, Templates: templates, Echo: o.echo, Retries: o.retries, RetryAfter: 20 * time.Millisecond})
	t.Cleanup(fake.Close)
	api := botapitest.NewTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	bo := bot.Options{Token: api.Token(), APIURL: api.URL(), PollTimeout: time.Second, Limits: telegram.DefaultLimits(1000), Now: clk.Now, Loc: vn}
	bo.Limits.BaseBackoff = 10 * time.Millisecond
	bo.SweepEvery = o.sweep
	dl := httptest.NewServer(webchat.Downloads(db, log))
	t.Cleanup(dl.Close)
	if !o.noLinks {
		bo.FileLinks = dl.URL + webchat.DownloadPath
	}
	b, err := bot.New(ctx, bo, db, flows.NewEngine(clk.Now, flows.WithCatalog(cat)), cat, log)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, ctx: ctx, clk: clk, db: db, x: x, url: url, api: api, bot: b, fake: fake, cat: cat, dl: dl}
	intake, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { intake.Close() })
	intake.X.SetMaxOpenConns(4)
	intake.SetClock(clk.Now)
	r.ch = r.newChannel(db, b, o.paidCap, zalo.WithIntakeDB(intake))
	b.AddChannel(r.ch)
	mux := http.NewServeMux()
	mux.Handle("POST "+zalo.WebhookPath, r.ch.Webhook(b))
	r.hook = httptest.NewServer(mux)
	t.Cleanup(r.hook.Close)
	fake.SetWebhook(r.hook.URL + zalo.WebhookPath)
	a, rt, exp := fake.IssueTokens()
	if err := r.ch.Install(ctx, store.ZaloToken{AccessToken: a, RefreshToken: rt, AccessExpiresAt: exp, RefreshExpiresAt: clk.Now().Add(zalotest.RefreshTTL)}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

// newChannel is a channel of the rig's OA on db (a second process's).
func (r *rig) newChannel(db *store.DB, b *bot.Bot, paidCap int, opts ...zalo.Option) *zalo.Channel {
	o := r.fake.Options()
	return zalo.New(zalo.Config{
		AppID: o.AppID, AppSecret: o.AppSecret, OAID: o.OAID, OASecret: o.OASecret,
		APIURL: r.fake.URL, OAuthURL: r.fake.URL, ZNSURL: r.fake.URL,
		Templates: channelTemplates(), Loc: vn, PaidMonthlyCap: paidCap,
	}, db, testLogger(), append(opts, zalo.WithNotify(casework.ZaloNeedsAdmin(b)))...)
}

func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle waits until the user's events are handled and the answers to
// them have arrived (more than before messages, then none for a while).
func (r *rig) settle(user string, before int) {
	r.t.Helper()
	r.waitFor("the inbox of "+user, func() bool {
		var n int
		return r.x.Get(&n, `SELECT count(*) FROM inbox WHERE channel = 'zalo' AND address = $1 AND handled_at IS NULL`, user) == nil && n == 0
	})
	deadline := time.Now().Add(3 * time.Second)
	last, stable := -1, 0
	for time.Now().Before(deadline) && stable < 4 {
		n := len(r.fake.Messages(user))
		if n == last && n > before {
			stable++
		} else {
			stable = 0
		}
		last = n
		time.Sleep(10 * time.Millisecond)
	}
}

// act runs a user's action, fails the test if the webhook did not answer
// 200, and waits for the answers.
func (r *rig) act(user string, f func() (zalotest.Delivery, error)) {
	r.t.Helper()
	before := len(r.fake.Messages(user))
	d, err := f()
	if err != nil || d.Status != http.StatusOK {
		r.t.Fatalf("delivery %+v: %v", d, err)
	}
	r.settle(user, before)
	if m, ok := r.menu(user); ok && (len(r.menus) == 0 || r.menus[len(r.menus)-1].Version != m.Version) {
		r.menus = append(r.menus, m)
	}
}

// buttonFor finds the newest button offering option id (skip: how many
// newer offers to pass over, for a stale press).
func (r *rig) buttonFor(user, id string, skip int) (zalotest.Button, bool) {
	ms := r.fake.Messages(user)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, b := range ms[i].Buttons {
			p, _ := b.Payload.(string)
			if _, bid, ok := channel.ParseButtonData(strings.TrimPrefix(p, zalo.ButtonPrefix)); ok && bid == id {
				if skip == 0 {
					return b, true
				}
				skip--
			}
		}
	}
	return zalotest.Button{}, false
}

// menu is the numbered list last shown to the user.
func (r *rig) menu(user string) (m store.Menu, ok bool) {
	err := r.db.InTx(r.ctx, func(tx *store.Tx) error {
		p, err := r.db.PersonByExternal(r.ctx, "zalo", user)
		if err != nil {
			return err
		}
		m, ok, err = tx.Menu(r.ctx, p.ID)
		return err
	})
	return m, err == nil && ok
}

// menuNumber is the number of option id in the numbered list last shown.
func (r *rig) menuNumber(user, id string) (string, bool) {
	m, ok := r.menu(user)
	if !ok {
		return "", false
	}
	return number(m, id)
}

func number(m store.Menu, id string) (string, bool) {
	for i, mid := range m.IDs {
		if mid == id {
			return strconv.Itoa(i + 1), true
		}
	}
	return "", false
}

// tap presses option id: its number in the list shown now (the bot
// keeps only the newest), else its newest button, else a press no
// message offers (as a forged or very old button would send).
func (r *rig) tap(user, id string) {
	r.t.Helper()
	if n, ok := r.menuNumber(user, id); ok {
		r.act(user, func() (zalotest.Delivery, error) { return r.fake.SendText(user, n) })
		return
	}
	if b, ok := r.buttonFor(user, id, 0); ok {
		r.act(user, func() (zalotest.Delivery, error) { return r.fake.Press(user, b) })
		return
	}
	var v int64
	if err := r.x.Get(&v, `SELECT c.version FROM conversations c JOIN people p ON p.id = c.person_id WHERE p.channel = 'zalo' AND p.external_id = $1`, user); err != nil {
		r.t.Fatalf("option %s: no conversation: %v", id, err)
	}
	b := zalotest.Button{Title: id, Type: "oa.query.hide", Payload: zalo.ButtonPrefix + channel.ButtonData(v, id)}
	r.act(user, func() (zalotest.Delivery, error) { return r.fake.Press(user, b) })
}

// say types text.
func (r *rig) say(user, text string) {
	r.t.Helper()
	r.act(user, func() (zalotest.Delivery, error) { return r.fake.SendText(user, text) })
}
