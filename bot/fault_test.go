package bot_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/pgtemp"
	"reentrybot/store"
)

// The fault tests drive a fleet of returnees (multiprocess_test.go) while
// something breaks, then check that every update was handled exactly once,
// in order per chat, and answered.

// chatter makes every user of f type two texts at once, wait for both
// answers, and again, until stop is closed. A user whose answers do not
// come within 20 s fails the test (a restart alone took 5 s on a loaded
// 2-core CI machine, and the outage after it adds its retries).
func chatter(t *testing.T, f *fleet, stop <-chan struct{}) (wait func()) {
	var wg sync.WaitGroup
	for i := range f.users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				a, b := fmt.Sprintf("nghề %d.%da", i, k), fmt.Sprintf("nghề %d.%db", i, k)
				f.say(i, a)
				f.say(i, b)
				deadline := time.Now().Add(20 * time.Second)
				for {
					got := f.answered(i)
					if containsAll(got, a, b) {
						break
					}
					if time.Now().After(deadline) {
						t.Errorf("user %d: no answer to %q and %q within 20 s (answers %q)", i, a, b, got)
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	return wg.Wait
}

func containsAll(list []string, v ...string) bool {
	for _, s := range v {
		found := false
		for _, x := range list {
			found = found || x == s
		}
		if !found {
			return false
		}
	}
	return true
}

// startBot runs a bot with options o (token, URL, fast limits filled in)
// on db until the test ends.
func startBot(t *testing.T, api *botapitest.Server, db *store.DB, o bot.Options) *bot.Bot {
	t.Helper()
	o.Token, o.APIURL = api.Token(), api.URL()
	if o.Limits.PerSecond == 0 {
		o.Limits = fastLimits()
	}
	if o.PollTimeout == 0 {
		o.PollTimeout = time.Second
	}
	log := testLogger()
	cat, err := i18n.Load(log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, err := bot.New(ctx, o, db, flows.NewEngine(nil), cat, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return b
}

// PostgreSQL restarts (fast shutdown: every session cut, open transactions
// rolled back) while returnees type. The bot reconnects; updates that could
// not commit are fetched again, since the polling offset moves only past
// committed ones; each is handled once, in order, and answered.
func TestPostgresRestartMidRun(t *testing.T) {
	if _, err := pgtemp.FindBinDir(); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	ctx := context.Background()
	cluster, err := pgtemp.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cluster.Stop() })
	admin, err := sql.Open("postgres", cluster.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE DATABASE fault`); err != nil {
		t.Fatal(err)
	}
	url := cluster.URLFor("fault")
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	x, err := sqlx.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })

	api := botapitest.NewTest(t, botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	f := newFleet(t, api, x, 16)
	b := startBot(t, api, db, bot.Options{})

	stop := make(chan struct{})
	wait := chatter(t, f, stop)
	time.Sleep(500 * time.Millisecond)
	// Hold user 0's row, so that their next update is surely inside its
	// transaction, waiting, when the server goes down.
	lock, err := x.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	if _, err := lock.Exec(`SELECT 1 FROM people WHERE external_id = $1 FOR UPDATE`, strconv.FormatInt(f.users[0].ID, 10)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "an update waiting on the held row", func() bool {
		var n int
		_ = x.Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE datname = 'fault' AND wait_event_type = 'Lock'`)
		return n > 0
	})
	before := f.seenCount()
	began := time.Now()
	if err := cluster.Restart(ctx); err != nil {
		close(stop)
		wait()
		t.Fatal(err)
	}
	down := time.Since(began)
	time.Sleep(500 * time.Millisecond)
	// Then a longer outage: the database refuses connections for a
	// second, longer than the bot's own retries of an update (3 attempts
	// in 0.6 s), and it comes back while a chat's next update is being
	// tried.
	if _, err := admin.Exec(`ALTER DATABASE fault ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'fault'`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if _, err := admin.Exec(`ALTER DATABASE fault ALLOW_CONNECTIONS true`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wait()
	f.waitHandled(15 * time.Second)
	f.waitAnswered(15 * time.Second)
	time.Sleep(100 * time.Millisecond)
	for _, o := range f.checkExactlyOnce(true) {
		t.Error(o)
	}
	retried := counterValue(t, b, "reentrybot_updates_total", "outcome", "retry")
	// The database away is met either by the intake (the inbox write
	// fails: the updates are fetched again) or by a handling (left in the
	// inbox, retried).
	t.Logf("%d updates; %d handled before the restart, which took %v; %.0f updates or handlings found the database away and came again",
		len(f.ids()), before, down.Round(time.Millisecond), retried)
	if retried == 0 {
		t.Error("no update found the database away")
	}
}

// counterValue sums a counter of the bot's metrics over the series whose
// label has the value.
func counterValue(t *testing.T, b *bot.Bot, name, label, value string) float64 {
	t.Helper()
	mfs, err := b.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					sum += m.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}

// The Bot API answers 5xx, then times out, for getUpdates and sendMessage
// alike, while returnees type: nothing is lost, nothing handled or answered
// twice, and each chat keeps its order.
func TestBotAPIFailsAndTimesOut(t *testing.T) {
	x := dbtest.New(t)
	db := &store.DB{X: x}
	api := botapitest.NewTest(t, botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	f := newFleet(t, api, x, 12)
	limits := fastLimits()
	limits.MaxAttempts, limits.BaseBackoff = 12, 20*time.Millisecond
	// A 1 s long poll; calls give up after 1.5 s.
	startBot(t, api, db, bot.Options{Limits: limits, HTTPClient: &http.Client{Timeout: 1500 * time.Millisecond}})

	stop := make(chan struct{})
	wait := chatter(t, f, stop)
	// The poll backs off, doubling, until a call succeeds: the faults come
	// in rounds, so that it is not kept waiting for long.
	// (The poll, which no longer waits for a batch's handling, is nearly
	// always in a call: faults on "any method" would all land on it.)
	time.Sleep(300 * time.Millisecond)
	api.FailNext("sendMessage", 2, 503, "Service Unavailable", 0)
	time.Sleep(1200 * time.Millisecond)
	api.FailNext("getUpdates", 3, 502, "Bad Gateway", 0)
	api.FailNext("sendMessage", 8, 500, "Internal Server Error", 0)
	time.Sleep(time.Second)
	// Slower than the bot waits (1.5 s): the calls time out, first the
	// sends, then the polls.
	api.SetDelay("sendMessage", 2500*time.Millisecond)
	time.Sleep(1500 * time.Millisecond)
	api.SetDelay("getUpdates", 2500*time.Millisecond)
	api.SetDelay("sendMessage", 0)
	time.Sleep(2 * time.Second)
	api.SetDelay("getUpdates", 0)
	time.Sleep(time.Second)
	close(stop)
	wait()
	f.waitHandled(15 * time.Second)
	f.waitAnswered(15 * time.Second)
	time.Sleep(100 * time.Millisecond)
	// A send the bot gave up waiting for may still have reached the
	// server, which then has it twice (as Telegram may): at least once,
	// and handled once.
	for _, o := range f.checkExactlyOnce(true) {
		t.Log("(after a timeout, not an error) " + o)
	}
	failed := map[string]int{}
	for _, c := range api.CallLog() {
		if c.Status >= 499 {
			failed[c.Method+" "+strconv.Itoa(c.Status)]++
		}
	}
	for _, want := range []string{"sendMessage 503", "getUpdates 502", "sendMessage 500", "getUpdates 499", "sendMessage 499"} {
		if failed[want] == 0 {
			t.Errorf("no %s seen: %v", want, failed)
		}
	}
	t.Logf("%d updates; failed calls (499: the bot gave up waiting): %v", len(f.ids()), failed)
}

// A bot process is killed (SIGKILL) in the middle of a flow, between the
// intake inbox and handling: updates written to the inbox and confirmed
// to the Bot API (which will not deliver them again) but not handled, and
// others handled but not answered; another process takes over. Each
// person continues at the same step: nothing lost, nothing handled twice,
// in order per person.
func TestKilledProcessMidFlow(t *testing.T) {
	dbURL := dbtest.URL(t)
	x, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	api := botapitest.NewTest(t, botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	f := newFleet(t, api, x, 5)
	env := []string{"DATABASE_URL=" + dbURL, "TELEGRAM_API_URL=" + api.URL(), "TELEGRAM_BOT_TOKEN=" + api.Token()}

	first := startChild(t, "first bot", env...)
	for i := range f.users {
		f.say(i, fmt.Sprintf("trước %d", i))
	}
	f.waitAnswered(15 * time.Second)

	// The rows of the first two people are locked, so their updates wait
	// inside their transactions, received in the inbox but not handled;
	// the others' updates commit.
	hold, err := x.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.Exec(`SELECT 1 FROM people WHERE external_id = ANY($1) FOR UPDATE`,
		pq.StringArray{strconv.FormatInt(f.users[0].ID, 10), strconv.FormatInt(f.users[1].ID, 10)}); err != nil {
		t.Fatal(err)
	}
	// All of them in one polling batch: the server holds the bot's next
	// getUpdates while they are sent.
	api.SetDelay("getUpdates", 700*time.Millisecond)
	last := len(f.users) - 1
	f.say(last, fmt.Sprintf("giữa %d", last))
	f.waitCurrent(10 * time.Second) // its answer is there to press a button on
	// Answers are held at the server, so the process dies after
	// committing the others' updates but before their answers arrive.
	api.SetDelay("sendMessage", time.Minute)
	for i := range f.users {
		f.press(i, ":t:garment")
		f.say(i, fmt.Sprintf("sau %d.1", i))
		f.say(i, fmt.Sprintf("sau %d.2", i))
	}
	api.SetDelay("getUpdates", 0)
	waitUntil(t, "the others' updates handled", func() bool {
		return f.seenCount() >= len(f.users)+1+3*(len(f.users)-2)
	})
	// Every update is in the inbox and confirmed to the Bot API: what the
	// first process did not handle can only come back from the inbox.
	waitUntil(t, "every update received and confirmed", func() bool {
		var n int
		_ = x.Get(&n, `SELECT count(*) FROM inbox WHERE channel = 'telegram' AND event_id::bigint = ANY($1)`, int64s(f.ids()))
		return n == len(f.ids()) && api.Unconfirmed() == 0
	})
	time.Sleep(100 * time.Millisecond)
	first.kill()
	atKill := f.seenCount()
	if atKill >= len(f.ids()) {
		t.Fatalf("all %d updates were handled before the kill: nothing was in flight", atKill)
	}
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	api.SetDelay("sendMessage", 0)

	second := startChild(t, "second bot", append(env, "REPEAT_AFTER=1s")...)
	f.waitHandled(15 * time.Second)
	// The first process died before answering what it had committed: the
	// second asks those people their question again (REPEAT_AFTER), so
	// everyone has an answer to their last text in front of them.
	f.waitCurrent(15 * time.Second)
	time.Sleep(100 * time.Millisecond)
	for i := 2; i < len(f.users); i++ {
		repeated := false
		for _, m := range api.Messages(f.users[i].ID) {
			repeated = repeated || strings.Contains(m.Text, repeatNote)
		}
		if !repeated {
			t.Errorf("user %d: the question was not asked again after the lost answer", i)
		}
	}
	for _, o := range f.checkExactlyOnce(false) {
		t.Error(o)
	}
	for i := range f.users {
		if st := f.state(i); st.Trades != `["garment"]` {
			t.Errorf("user %d: trades %s, want garment chosen once", i, st.Trades)
		}
	}
	// Each person goes on from the same question: done, then the work status.
	for i := range f.users {
		f.press(i, ":done")
	}
	for i, u := range f.users {
		waitUntil(t, "the next question", func() bool {
			msgs := api.Messages(u.ID)
			m := msgs[len(msgs)-1]
			return m.Markup != nil && strings.Contains(fmt.Sprint(m.Markup.InlineKeyboard), ":v:employed")
		})
		var state string
		if err := x.Get(&state, `SELECT c.flow || '/' || c.state FROM conversations c JOIN people p ON p.id = c.person_id WHERE p.external_id = $1`,
			strconv.FormatInt(u.ID, 10)); err != nil || state != "job/status" {
			t.Errorf("user %d at %q (%v), want job/status", i, state, err)
		}
	}
	second.stop(t)
	t.Logf("%d updates; %d handled when the first process was killed", len(f.ids()), atKill)
}
