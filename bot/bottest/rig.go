// Package bottest is test support: a bot with every feature package
// (bot/announcements, bot/casework, bot/ops, bot/reminders) on a fresh
// database, talking over HTTP to the strict test Bot API server, and the waits the tests of bot and of its
// feature packages share. A test package using it needs
// `func TestMain(m *testing.M) { dbtest.Main(m) }`.
package bottest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/bot"
	_ "reentrybot/bot/announcements" // the features, as app wires them
	_ "reentrybot/bot/casework"
	_ "reentrybot/bot/ops"
	"reentrybot/bot/reminders"
	"reentrybot/botapitest"
	"reentrybot/channel/telegram"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/refdata"
	"reentrybot/store"
)

// Rig is a bot on a fresh database, talking over HTTP to a test Bot API
// server.
type Rig struct {
	T    *testing.T
	API  *botapitest.Server
	DB   *store.DB
	X    *sqlx.DB
	Bot  *bot.Bot
	Cat  *i18n.Catalog
	Ctx  context.Context
	Opts bot.Options

	stop func()
}

// Option sets the bot's options and the test server's.
type Option func(*bot.Options, *[]botapitest.Option)

// Logger discards the bot's log unless TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// WithWebhook runs the bot in webhook mode with secret.
func WithWebhook(secret string) Option {
	return func(o *bot.Options, _ *[]botapitest.Option) {
		o.WebhookURL, o.WebhookSecret = "http://127.0.0.1:1/unused", secret
	}
}

// WithServer passes options to the test Bot API server.
func WithServer(opts ...botapitest.Option) Option {
	return func(_ *bot.Options, so *[]botapitest.Option) { *so = append(*so, opts...) }
}

// WithFastLimits lifts the pacing on both sides, for tests that walk long
// flows and are not about the limits.
func WithFastLimits() Option {
	return func(o *bot.Options, so *[]botapitest.Option) {
		o.Limits.PerChatSecond, o.Limits.PerChatBurst = 1000, 100
		o.Limits.PerGroupMinute, o.Limits.GroupBurst = 60000, 100
		*so = append(*so, botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	}
}

// WithSleep is how the bot waits out a 429 or a backoff.
func WithSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(o *bot.Options, _ *[]botapitest.Option) { o.Sleep = sleep }
}

// WithClock is the program's clock.
func WithClock(now func() time.Time) Option {
	return func(o *bot.Options, _ *[]botapitest.Option) { o.Now = now }
}

// WithSweepEvery is the sweeper's round.
func WithSweepEvery(d time.Duration) Option {
	return func(o *bot.Options, _ *[]botapitest.Option) { o.SweepEvery = d }
}

// New builds the parts; Run starts taking updates.
func New(t *testing.T, opts ...Option) *Rig {
	t.Helper()
	x := dbtest.New(t)
	db := &store.DB{X: x}
	var sopts []botapitest.Option
	o := bot.Options{PollTimeout: time.Second, Limits: telegram.DefaultLimits(1000)}
	o.Limits.BaseBackoff = 10 * time.Millisecond
	for _, f := range opts {
		f(&o, &sopts)
	}
	api := botapitest.NewTest(t, sopts...)
	o.Token, o.APIURL = api.Token(), api.URL()
	log := Logger()
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
	return &Rig{T: t, API: api, DB: db, X: x, Bot: b, Cat: cat, Ctx: ctx, Opts: o, stop: func() {}}
}

// Run takes updates until the test ends or Stop.
func (r *Rig) Run() {
	ctx, cancel := context.WithCancel(r.Ctx)
	done := make(chan struct{})
	b := r.Bot
	go func() { defer close(done); b.Run(ctx) }()
	r.stop = func() { cancel(); <-done }
	r.T.Cleanup(func() { cancel(); <-done })
}

// Stop stops the running bot and waits for it.
func (r *Rig) Stop() { r.stop() }

// BotMessages lists what the bot sent to a chat.
func (r *Rig) BotMessages(chat int64) []botapitest.Message {
	var out []botapitest.Message
	for _, m := range r.API.Messages(chat) {
		if m.FromBot {
			out = append(out, m)
		}
	}
	return out
}

// Files lists the files of a kind ("document", "photo") the bot sent to
// a chat.
func (r *Rig) Files(chat int64, kind string) []botapitest.Message {
	var out []botapitest.Message
	for _, m := range r.BotMessages(chat) {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// WaitBot waits until the bot has sent at least n messages to chat.
func (r *Rig) WaitBot(chat int64, n int) []botapitest.Message {
	r.T.Helper()
	var msgs []botapitest.Message
	r.WaitFor("the bot's messages", func() bool {
		msgs = r.BotMessages(chat)
		return len(msgs) >= n
	})
	return msgs
}

// WaitSeen waits until the update ids are recorded as handled.
func (r *Rig) WaitSeen(ids ...int64) {
	r.T.Helper()
	for _, id := range ids {
		var err error
		r.WaitFor("update handled", func() bool {
			ok, e := r.DB.UpdateSeen(r.Ctx, id)
			err = e
			return ok || e != nil
		})
		if err != nil {
			r.T.Fatal(err)
		}
	}
}

// WaitFor waits until cond holds.
func (r *Rig) WaitFor(what string, cond func() bool) {
	r.T.Helper()
	deadline := clock.System().Add(15 * time.Second)
	for !cond() {
		if clock.System().After(deadline) {
			r.T.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitText waits for a bot message in chat containing text.
func (r *Rig) WaitText(chat int64, text string) botapitest.Message {
	r.T.Helper()
	var found botapitest.Message
	defer func() {
		if r.T.Failed() {
			for _, m := range r.BotMessages(chat) {
				r.T.Logf("chat %d: %q", chat, m.Text)
			}
		}
	}()
	r.WaitFor("a message containing "+text, func() bool {
		for _, m := range r.BotMessages(chat) {
			if strings.Contains(m.Text, text) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// LoadCommunes imports the province's communes.
func (r *Rig) LoadCommunes() {
	r.T.Helper()
	if err := r.DB.InTx(r.Ctx, func(tx *store.Tx) error {
		_, err := refdata.LoadCommunes(r.Ctx, tx)
		return err
	}); err != nil {
		r.T.Fatal(err)
	}
}

// StaffAccount invites and binds a staff member, returning their user.
func (r *Rig) StaffAccount(role store.Role, communes []string, name string) botapitest.User {
	r.T.Helper()
	code, hash := bot.NewInviteCode()
	if _, err := r.DB.CreateInvite(r.Ctx, role, communes, name, hash, clock.System().Add(time.Hour)); err != nil {
		r.T.Fatal(err)
	}
	u := r.API.NewUser(name, "vi")
	r.WaitSeen(r.API.SendText(u, "/start "+bot.InvitePrefix+code))
	r.WaitText(u.ID, name)
	return u
}

// Reminding is a running bot on a fake clock set to start, with the
// communes loaded, for tests that run the reminders themselves: the
// sweeper runs once at start (nothing is due then) and not again for an
// hour.
func Reminding(t *testing.T, start time.Time) (*Rig, *clock.Fake) {
	t.Helper()
	fc := clock.NewFake(start)
	r := New(t, WithFastLimits(), WithClock(fc.Now), WithSweepEvery(time.Hour))
	r.LoadCommunes()
	r.Run()
	return r, fc
}

// Exec runs a statement of a test's setup.
func (r *Rig) Exec(q string, args ...any) {
	r.T.Helper()
	if _, err := r.X.Exec(q, args...); err != nil {
		r.T.Fatal(err)
	}
}

// Returnee adds a person on Telegram in commune 07840 who can be written
// to.
func (r *Rig) Returnee(name string) (botapitest.User, int64) {
	r.T.Helper()
	u := r.API.NewUser(name, "vi")
	var id int64
	if err := r.X.Get(&id, `
INSERT INTO people (channel, external_id, chat_ref, language, full_name, commune_code)
VALUES ('telegram', $1, $1, 'vi', $2, '07840') RETURNING id`, strconv.FormatInt(u.ID, 10), name); err != nil {
		r.T.Fatal(err)
	}
	return u, id
}

// RunReminders plans and sends the reminders due now (bot/reminders).
func (r *Rig) RunReminders() {
	r.T.Helper()
	if err := reminders.Run(r.Ctx, r.Bot); err != nil {
		r.T.Fatal(err)
	}
}

// WantReminderState waits for a reminder to reach a state: the
// background sweeper may hold its row a moment.
func (r *Rig) WantReminderState(kind string, ref int64, want string) {
	r.T.Helper()
	var got string
	deadline := clock.System().Add(10 * time.Second)
	for got = r.ReminderState(kind, ref); got != want && clock.System().Before(deadline); got = r.ReminderState(kind, ref) {
		time.Sleep(10 * time.Millisecond)
	}
	if got != want {
		r.T.Fatalf("reminder %s %d is %s, want %s", kind, ref, got, want)
	}
}

// ReminderState is a reminder's status and reason, "kind/ref" naming it.
func (r *Rig) ReminderState(kind string, ref int64) string {
	r.T.Helper()
	var s string
	if err := r.X.Get(&s, `SELECT status || coalesce(':' || reason, '') FROM reminders WHERE kind = $1 AND ref_id = $2`, kind, ref); err != nil {
		r.T.Fatalf("reminder %s %d: %v", kind, ref, err)
	}
	return s
}

// Hanoi is the zone people read times in.
var Hanoi = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return loc
}()

// Local is a time in Hà Nội.
func Local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, Hanoi)
}
