package bot_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/i18n"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// rig is bottest's, under the names these tests knew before it moved
// there for the feature packages' tests.
type rig struct {
	*bottest.Rig
	t    *testing.T
	api  *botapitest.Server
	db   *store.DB
	x    *sqlx.DB
	bot  *bot.Bot
	cat  *i18n.Catalog
	ctx  context.Context
	opts bot.Options
}

type rigOption = bottest.Option

func testLogger() *slog.Logger { return bottest.Logger() }

var (
	withWebhook    = bottest.WithWebhook
	withServer     = bottest.WithServer
	withFastLimits = bottest.WithFastLimits
	withSleep      = bottest.WithSleep
	withClock      = bottest.WithClock
	withSweepEvery = bottest.WithSweepEvery
	hanoi          = bottest.Hanoi
	local          = bottest.Local
)

// run takes updates until the test ends, with the bot of r.bot (a test
// may start a new one on the same database, as after a restart).
// remindRig is bottest.Reminding's rig.
func remindRig(t *testing.T, start time.Time) (*rig, *clock.Fake) {
	t.Helper()
	br, fc := bottest.Reminding(t, start)
	return wrap(t, br), fc
}

func (r *rig) run() { r.Rig.Bot = r.bot; r.Run() }

// newRig builds the parts; run starts taking updates.
func newRig(t *testing.T, opts ...rigOption) *rig {
	t.Helper()
	return wrap(t, bottest.New(t, opts...))
}

func wrap(t *testing.T, r *bottest.Rig) *rig {
	return &rig{Rig: r, t: t, api: r.API, db: r.DB, x: r.X, bot: r.Bot, cat: r.Cat, ctx: r.Ctx, opts: r.Opts}
}

func (r *rig) stop()                                       { r.Stop() }
func (r *rig) botMessages(chat int64) []botapitest.Message { return r.BotMessages(chat) }
func (r *rig) waitBot(chat int64, n int) []botapitest.Message {
	r.t.Helper()
	return r.WaitBot(chat, n)
}
func (r *rig) waitSeen(ids ...int64)                 { r.t.Helper(); r.WaitSeen(ids...) }
func (r *rig) waitFor(what string, cond func() bool) { r.t.Helper(); r.WaitFor(what, cond) }
func (r *rig) waitText(chat int64, text string) botapitest.Message {
	r.t.Helper()
	return r.WaitText(chat, text)
}
func (r *rig) loadCommunes()                                 { r.t.Helper(); r.LoadCommunes() }
func (r *rig) exec(q string, args ...any)                    { r.t.Helper(); r.Exec(q, args...) }
func (r *rig) runReminders()                                 { r.t.Helper(); r.RunReminders() }
func (r *rig) returnee(name string) (botapitest.User, int64) { r.t.Helper(); return r.Returnee(name) }

func filesOf(r *rig, chat int64, kind string) []botapitest.Message { return r.Files(chat, kind) }

func (r *rig) staffAccount(role store.Role, communes []string, name string) botapitest.User {
	r.t.Helper()
	return r.StaffAccount(role, communes, name)
}

func (r *rig) wantReminderState(kind string, ref int64, want string) {
	r.t.Helper()
	r.WantReminderState(kind, ref, want)
}
