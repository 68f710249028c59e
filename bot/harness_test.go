package bot_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// rig is a bot on a fresh database, talking over HTTP to a test Bot API
// server.
type rig struct {
	t   *testing.T
	api *botapitest.Server
	db  *store.DB
	x   *sqlx.DB
	bot *bot.Bot
	cat *i18n.Catalog
	ctx context.Context

	opts bot.Options
	stop func() // stops the running bot, waiting for it
}

func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type rigOption func(*bot.Options, *[]botapitest.Option)

func withWebhook(secret string) rigOption {
	return func(o *bot.Options, _ *[]botapitest.Option) {
		o.WebhookURL, o.WebhookSecret = "http://127.0.0.1:1/unused", secret
	}
}

func withServer(opts ...botapitest.Option) rigOption {
	return func(_ *bot.Options, so *[]botapitest.Option) { *so = append(*so, opts...) }
}

// newRig builds the parts; run starts taking updates.
func newRig(t *testing.T, opts ...rigOption) *rig {
	t.Helper()
	x := dbtest.New(t)
	db := &store.DB{X: x}
	var sopts []botapitest.Option
	o := bot.Options{PollTimeout: time.Second, Limits: bot.DefaultLimits(1000)}
	o.Limits.BaseBackoff = 10 * time.Millisecond
	for _, f := range opts {
		f(&o, &sopts)
	}
	api := botapitest.NewTest(t, sopts...)
	o.Token, o.APIURL = api.Token(), api.URL()
	log := testLogger()
	cat, err := i18n.Load(log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b, err := bot.New(ctx, o, db, flows.NewEngine(o.Now), cat, log) // one clock: the bot's is the store's
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, api: api, db: db, x: x, bot: b, cat: cat, ctx: ctx, opts: o, stop: func() {}}
}

// run takes updates until the test ends.
func (r *rig) run() {
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan struct{})
	b := r.bot
	go func() { defer close(done); b.Run(ctx) }()
	r.stop = func() { cancel(); <-done }
	r.t.Cleanup(func() { cancel(); <-done })
}

// botMessages lists what the bot sent to a chat.
func (r *rig) botMessages(chat int64) []botapitest.Message {
	var out []botapitest.Message
	for _, m := range r.api.Messages(chat) {
		if m.FromBot {
			out = append(out, m)
		}
	}
	return out
}

// waitBot waits until the bot has sent at least n messages to chat.
func (r *rig) waitBot(chat int64, n int) []botapitest.Message {
	r.t.Helper()
	deadline := clock.System().Add(15 * time.Second)
	for {
		msgs := r.botMessages(chat)
		if len(msgs) >= n {
			return msgs
		}
		if clock.System().After(deadline) {
			r.t.Fatalf("chat %d: bot sent %d messages, want %d: %+v", chat, len(msgs), n, msgs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitSeen waits until the update ids are recorded as handled.
func (r *rig) waitSeen(ids ...int64) {
	r.t.Helper()
	deadline := clock.System().Add(15 * time.Second)
	for _, id := range ids {
		for {
			ok, err := r.db.UpdateSeen(r.ctx, id)
			if err != nil {
				r.t.Fatal(err)
			}
			if ok {
				break
			}
			if clock.System().After(deadline) {
				r.t.Fatalf("update %d not handled in time", id)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
