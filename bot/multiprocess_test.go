package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"reentrybot/bench"
	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/channel/telegram"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// fleet is a group of returnees seeded (bench.Seed) at the job flow's
// trades question, where every typed text is stored as "another trade"
// and answered with the question again, ending "Nghề bạn gõ: <text>". So
// each input has exactly one answer that names it, and bumps the
// conversation's version by exactly one: what the checks below count.
type fleet struct {
	t     *testing.T
	api   *botapitest.Server
	x     *sqlx.DB
	users []botapitest.User

	mu   sync.Mutex
	sent map[int64][]fleetInput // per user, in the order sent
}

type fleetInput struct {
	id   int64
	text string // "" for a button press
}

// seedVersion is the conversation version bench.Seed starts at.
const seedVersion = 10

func newFleet(t *testing.T, api *botapitest.Server, x *sqlx.DB, n int) *fleet {
	t.Helper()
	f := &fleet{t: t, api: api, x: x, sent: map[int64][]fleetInput{}}
	for i := range n {
		f.users = append(f.users, api.NewUser("Người "+strconv.Itoa(i), "vi"))
	}
	for i := 1; i < n; i++ {
		if f.users[i].ID != f.users[0].ID+int64(i) {
			t.Fatal("the test server's user ids are not consecutive")
		}
	}
	if _, err := bench.Seed(context.Background(), x, clock.System(), f.users[0].ID, n, n); err != nil {
		t.Fatal(err)
	}
	return f
}

// say types text as user i.
func (f *fleet) say(i int, text string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.api.SendText(f.users[i], text)
	f.sent[f.users[i].ID] = append(f.sent[f.users[i].ID], fleetInput{id: id, text: text})
	return id
}

// press presses the button ending in suffix on the bot's newest message to
// user i.
func (f *fleet) press(i int, suffix string) int64 {
	f.t.Helper()
	u := f.users[i]
	msgs := f.api.Messages(u.ID)
	if len(msgs) == 0 || msgs[len(msgs)-1].Markup == nil {
		f.t.Fatalf("user %d: no question to press a button on", i)
	}
	m := msgs[len(msgs)-1]
	for _, row := range m.Markup.InlineKeyboard {
		for _, b := range row {
			if strings.HasSuffix(b.CallbackData, suffix) {
				f.mu.Lock()
				defer f.mu.Unlock()
				id, err := f.api.PressButton(u, m, b.CallbackData)
				if err != nil {
					f.t.Fatal(err)
				}
				f.sent[u.ID] = append(f.sent[u.ID], fleetInput{id: id})
				return id
			}
		}
	}
	f.t.Fatalf("user %d: no button %q on %q", i, suffix, m.Text)
	return 0
}

// record notes an input sent by other means (a hand-made update).
func (f *fleet) record(i int, id int64, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent[f.users[i].ID] = append(f.sent[f.users[i].ID], fleetInput{id: id, text: text})
}

func (f *fleet) ids() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int64
	for _, in := range f.sent {
		for _, x := range in {
			ids = append(ids, x.id)
		}
	}
	return ids
}

// seenCount is how many of the inputs sent so far are handled.
func (f *fleet) seenCount() int {
	f.t.Helper()
	var n int
	if err := f.x.Get(&n, `SELECT count(*) FROM inbox WHERE channel = 'telegram' AND event_id::bigint = ANY($1) AND handled_at IS NOT NULL`, int64s(f.ids())); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// waitHandled waits until every input sent is recorded as handled.
func (f *fleet) waitHandled(within time.Duration) {
	f.t.Helper()
	deadline := clock.System().Add(within)
	want := len(f.ids())
	for {
		got := f.seenCount()
		if got == want {
			return
		}
		if clock.System().After(deadline) {
			f.t.Fatalf("%d of %d updates handled after %v", got, want, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const otherPrefix = "Nghề bạn gõ: "

// answered returns, in the order they reached the chat, the typed texts the
// bot's answers to user i name.
func (f *fleet) answered(i int) []string {
	var out []string
	for _, m := range f.api.Messages(f.users[i].ID) {
		if _, other, ok := strings.Cut(m.Text, otherPrefix); ok {
			out = append(out, other)
		}
	}
	return out
}

// repeatNote is in the note before a question asked again (vi).
const repeatNote = "bị gián đoạn"

// waitCurrent waits until each person's newest answer names the last text
// they typed: whatever answers were lost, the current question is there.
func (f *fleet) waitCurrent(within time.Duration) {
	f.t.Helper()
	deadline := clock.System().Add(within)
	for i, u := range f.users {
		f.mu.Lock()
		last := ""
		for _, in := range f.sent[u.ID] {
			if in.text != "" {
				last = in.text
			}
		}
		f.mu.Unlock()
		for {
			got := f.answered(i)
			if len(got) > 0 && got[len(got)-1] == last {
				break
			}
			if clock.System().After(deadline) {
				f.t.Fatalf("user %d: newest answers %q, want one naming %q last", i, got, last)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// waitAnswered waits until every typed text has an answer naming it.
func (f *fleet) waitAnswered(within time.Duration) {
	f.t.Helper()
	deadline := clock.System().Add(within)
	for i, u := range f.users {
		f.mu.Lock()
		var want []string
		for _, in := range f.sent[u.ID] {
			if in.text != "" {
				want = append(want, in.text)
			}
		}
		f.mu.Unlock()
		for {
			got := f.answered(i)
			missing := slices.DeleteFunc(slices.Clone(want), func(s string) bool { return slices.Contains(got, s) })
			if len(missing) == 0 {
				break
			}
			if clock.System().After(deadline) {
				f.t.Fatalf("user %d: no answer to %q (answers: %q)", i, missing, got)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

type fleetState struct {
	Version int64  `db:"version"`
	Other   string `db:"other"`
	Trades  string `db:"trades"`
}

func (f *fleet) state(i int) fleetState {
	f.t.Helper()
	var s fleetState
	if err := f.x.Get(&s, `
SELECT c.version, coalesce(c.data->'job'->>'trades_other', '') AS other, coalesce(c.data->'job'->>'trades', '') AS trades
  FROM conversations c JOIN people p ON p.id = c.person_id
 WHERE p.channel = 'telegram' AND p.external_id = $1`, strconv.FormatInt(f.users[i].ID, 10)); err != nil {
		f.t.Fatal(err)
	}
	return s
}

// checkExactlyOnce checks, once everything is handled, that each input was
// handled exactly once and in order for its chat: every update id is in
// the inbox, handled; each person's conversation moved one version per input;
// the last typed text is the one stored; and their updates' transactions
// began in the order sent. With allAnswered, every input was answered (each
// answer names the latest text typed before its input, a press's answer
// too). It returns, for the caller to judge, the chats where an input was
// answered twice or answers arrived in another order than sent: one process
// sends a chat's answers once and in order, but two processes handling
// consecutive updates of a chat each send their own answer after their own
// commit, and a send that timed out is sent again though the server may
// have taken it.
func (f *fleet) checkExactlyOnce(allAnswered bool) (answers []string) {
	f.t.Helper()
	for i, u := range f.users {
		f.mu.Lock()
		sent := slices.Clone(f.sent[u.ID])
		f.mu.Unlock()
		if len(sent) == 0 {
			continue
		}
		var (
			ids    []int64
			expect []string // what each input's answer names
			latest string
		)
		for _, in := range sent {
			ids = append(ids, in.id)
			if in.text != "" {
				latest = in.text
			}
			if latest != "" {
				expect = append(expect, latest)
			}
		}
		var order []int64
		if err := f.x.Select(&order, `SELECT event_id::bigint FROM inbox WHERE channel = 'telegram' AND event_id::bigint = ANY($1) AND handled_at IS NOT NULL ORDER BY handled_at, event_id::bigint`, int64s(ids)); err != nil {
			f.t.Fatal(err)
		}
		if !slices.Equal(order, ids) {
			f.t.Errorf("user %d: updates handled in the order %v, sent %v", i, order, ids)
		}
		// Asking again after a lost answer (answers.go) is a step too.
		repeats := 0
		for _, m := range f.api.Messages(u.ID) {
			if strings.Contains(m.Text, repeatNote) {
				repeats++
			}
		}
		st := f.state(i)
		if got := st.Version - seedVersion; got != int64(len(sent)+repeats) {
			f.t.Errorf("user %d: %d inputs and %d questions asked again moved the conversation %d versions (each handled once moves it one)", i, len(sent), repeats, got)
		}
		if latest != "" && st.Other != latest {
			f.t.Errorf("user %d: stored %q, the last text sent was %q", i, st.Other, latest)
		}
		got := f.answered(i)
		count := func(list []string, v string) (n int) {
			for _, x := range list {
				if x == v {
					n++
				}
			}
			return n
		}
		for _, s := range slices.Compact(slices.Clone(expect)) {
			g, e := count(got, s), count(expect, s)
			if allAnswered && g < e {
				f.t.Errorf("user %d: %d answers naming %q, %d inputs to answer", i, g, s, e)
			}
			if g > e {
				answers = append(answers, fmt.Sprintf("user %d: %d answers naming %q, %d inputs to answer", i, g, s, e))
			}
		}
		if !isSubsequence(got, expect) {
			answers = append(answers, fmt.Sprintf("user %d: answers arrived in the order %q, sent %q", i, got, expect))
		}
	}
	return answers
}

func isSubsequence(sub, of []string) bool {
	j := 0
	for _, s := range sub {
		for j < len(of) && of[j] != s {
			j++
		}
		if j == len(of) {
			return false
		}
		j++
	}
	return true
}

func fastLimits() telegram.Limits {
	l := telegram.DefaultLimits(1000)
	l.PerChatSecond, l.PerChatBurst = 1000, 100
	l.BaseBackoff = 20 * time.Millisecond
	return l
}

// flaky answers 500 to every nth webhook call that its handler answered
// 200, as when a process dies or times out after its commit: Telegram then
// delivers the update again, here to the next instance.
type flaky struct {
	h     http.Handler
	n     int64
	calls atomic.Int64
	lied  atomic.Int64
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	if rec.Code == http.StatusOK && f.n > 0 && f.calls.Add(1)%f.n == 0 {
		f.lied.Add(1)
		http.Error(w, "lost", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// Three bot instances, each with its own connection pool and webhook
// endpoint, share one database; the test server delivers round-robin.
// Each chat's updates are handled once and in order, even when answers are
// lost after the commit (the update then comes again, to another instance)
// and when the same update reaches all three instances at once.
func TestWebhookThreeInstances(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dbURL := dbtest.URL(t)
	x, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	api := botapitest.NewTest(t, botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	log := testLogger()
	cat, err := i18n.Load(log)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "three-instances"
	var (
		urls     []string
		handlers []*flaky
		wg       sync.WaitGroup
	)
	for i := range 3 {
		db, err := store.Open(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		fl := &flaky{n: int64(4 + i)}
		srv := httptest.NewServer(fl)
		o := bot.Options{Token: api.Token(), APIURL: api.URL(), WebhookURL: srv.URL, WebhookSecret: secret,
			Limits: fastLimits(), PollTimeout: time.Second}
		b, err := bot.New(ctx, o, db, flows.NewEngine(nil), cat, log)
		if err != nil {
			t.Fatal(err)
		}
		fl.h = b.WebhookHandler()
		rctx, stop := context.WithCancel(ctx)
		wg.Add(1)
		go func() { defer wg.Done(); b.Run(rctx) }()
		t.Cleanup(func() { stop(); wg.Wait(); srv.Close(); db.Close() })
		urls, handlers = append(urls, srv.URL), append(handlers, fl)
	}
	waitUntil(t, "three setWebhook calls", func() bool { return api.Calls("setWebhook") >= 3 })
	api.SetWebhookTargets(urls...)

	f := newFleet(t, api, x, 12)
	for k := range 6 {
		for i := range f.users {
			f.say(i, fmt.Sprintf("nghề %d.%d", i, k))
		}
	}
	f.waitHandled(15 * time.Second)
	f.waitAnswered(15 * time.Second)

	// The same update reaching all three instances at the same moment.
	for k := range 4 {
		for i, u := range f.users {
			id := int64(900000 + 100*k + i)
			text := fmt.Sprintf("cùng lúc %d.%d", i, k)
			body, _ := json.Marshal(models.Update{ID: id, Message: &models.Message{
				ID: 10000 + k, Date: int(clock.System().Unix()), Text: text,
				Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate},
				From: &models.User{ID: u.ID, FirstName: u.FirstName, LanguageCode: "vi"},
			}})
			f.record(i, id, text)
			var posts sync.WaitGroup
			codes := make([]int, len(urls))
			for j, url := range urls {
				posts.Add(1)
				go func() {
					defer posts.Done()
					req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
					req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					codes[j] = resp.StatusCode
				}()
			}
			posts.Wait()
			if !slices.ContainsFunc(codes, func(c int) bool { return c == http.StatusOK }) {
				t.Errorf("update %d posted to all three: statuses %v", id, codes)
			}
		}
	}
	f.waitHandled(15 * time.Second)
	f.waitAnswered(15 * time.Second)
	time.Sleep(100 * time.Millisecond) // room for a wrong second answer
	for _, o := range f.checkExactlyOnce(true) {
		t.Log("(not an error) " + o)
	}

	byURL := map[string]int{}
	redelivered := 0
	for _, d := range api.WebhookDeliveries() {
		if d.Status == http.StatusOK {
			byURL[d.URL]++
		} else {
			redelivered++
		}
	}
	lied := int64(0)
	for i, h := range handlers {
		lied += h.lied.Load()
		if byURL[urls[i]] == 0 {
			t.Errorf("instance %d took no update", i)
		}
	}
	if lied == 0 || redelivered == 0 {
		t.Errorf("no update was delivered again (lost answers %d, failed deliveries %d)", lied, redelivered)
	}
	t.Logf("deliveries answered 200 by instance: %v; %d answers lost after commit and delivered again", byURL, lied)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := clock.System().Add(15 * time.Second)
	for !cond() {
		if clock.System().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// childEnv makes the test binary serve as the bot (TestServeAsChild).
const childEnv = "REENTRYBOT_TEST_CHILD"

// TestServeAsChild is not a test: run by startChild in a copy of this test
// binary, it serves as `reentrybot serve` does, from the environment, until
// SIGTERM or SIGKILL.
func TestServeAsChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only as a child process of the fault and multi-process tests")
	}
	os.Exit(bench.ServeChild())
}

// botProcess is the bot in a child process.
type botProcess struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startChild starts this test binary as a bot process with the given
// environment (DATABASE_URL, TELEGRAM_API_URL, ...). Its log is printed if
// the test fails; it is killed when the test ends.
func startChild(t *testing.T, name string, env ...string) *botProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeAsChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1", "LOG_LEVEL=warn", "HTTP_ADDR=127.0.0.1:0", "SEND_RATE=1000")
	cmd.Env = append(cmd.Env, env...)
	p := &botProcess{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() || os.Getenv("TEST_LOG") != "" {
			t.Logf("--- %s (pid %d) log ---\n%s", name, cmd.Process.Pid, p.out.String())
		}
	})
	return p
}

func (p *botProcess) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// stop asks the process to finish (SIGTERM) and waits.
func (p *botProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Errorf("bot process did not stop within 20 s")
		p.kill()
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The same with three real bot processes (this test binary serving as
// `reentrybot serve` with WEBHOOK_URL), each answering on its own port.
func TestWebhookThreeProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	dbURL := dbtest.URL(t)
	x, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	api := botapitest.NewTest(t, botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	f := newFleet(t, api, x, 9)
	var (
		urls  []string
		procs []*botProcess
	)
	for i := range 3 {
		addr := freePort(t)
		url := "http://" + addr + "/telegram/webhook"
		procs = append(procs, startChild(t, fmt.Sprintf("bot %d", i), "DATABASE_URL="+dbURL, "TELEGRAM_API_URL="+api.URL(),
			"TELEGRAM_BOT_TOKEN="+api.Token(), "HTTP_ADDR="+addr, "WEBHOOK_URL="+url, "WEBHOOK_SECRET=three-processes"))
		urls = append(urls, url)
	}
	waitUntil(t, "three setWebhook calls", func() bool { return api.Calls("setWebhook") >= 3 })
	api.SetWebhookTargets(urls...)
	// Under the default per-chat pace (a burst of 3, then 1/s) three texts
	// each are answered at once.
	for k := range 3 {
		for i := range f.users {
			f.say(i, fmt.Sprintf("nghề %d.%d", i, k))
		}
	}
	f.waitHandled(15 * time.Second)
	f.waitAnswered(15 * time.Second)
	time.Sleep(100 * time.Millisecond)
	for _, o := range f.checkExactlyOnce(true) {
		t.Log("(not an error) " + o)
	}
	byURL := map[string]int{}
	for _, d := range api.WebhookDeliveries() {
		byURL[d.URL]++
	}
	for _, u := range urls {
		if byURL[u] == 0 {
			t.Errorf("%s took no update: %v", u, byURL)
		}
	}

	// Kill -9 of a process between the inbox write and the handling: the
	// first three people's rows are locked, so their next updates are
	// written to the inbox (the webhook answered) by whichever process got
	// them, and wait inside their handling. Process 0 dies then, and its
	// URL keeps getting deliveries, which fail and go to the others
	// (redeliveries). Every update is still handled exactly once, in order.
	hold, err := x.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	held := pq.StringArray{strconv.FormatInt(f.users[0].ID, 10), strconv.FormatInt(f.users[1].ID, 10), strconv.FormatInt(f.users[2].ID, 10)}
	if _, err := hold.Exec(`SELECT 1 FROM people WHERE external_id = ANY($1) FOR UPDATE`, held); err != nil {
		t.Fatal(err)
	}
	for i := range f.users {
		f.say(i, fmt.Sprintf("nghề %d.3", i))
	}
	waitUntil(t, "every update in the inbox and the others handled", func() bool {
		var n int
		_ = x.Get(&n, `SELECT count(*) FROM inbox WHERE channel = 'telegram' AND event_id::bigint = ANY($1)`, int64s(f.ids()))
		return n == len(f.ids()) && f.seenCount() == len(f.ids())-3
	})
	// The others' answers are out before the kill: what is lost with
	// process 0 is only what was not yet committed (an answer lost after
	// a commit is asked again, TestKilledProcessMidFlow).
	waitUntil(t, "the others answered", func() bool {
		for i := 3; i < len(f.users); i++ {
			if !slices.Contains(f.answered(i), fmt.Sprintf("nghề %d.3", i)) {
				return false
			}
		}
		return true
	})
	procs[0].kill()
	for i := range f.users {
		f.say(i, fmt.Sprintf("nghề %d.4", i))
	}
	waitUntil(t, "a delivery to the dead process failed and went elsewhere", func() bool {
		for _, d := range api.WebhookDeliveries() {
			if d.URL == urls[0] && d.Err != "" {
				return true
			}
		}
		return false
	})
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	f.waitHandled(20 * time.Second)
	f.waitAnswered(20 * time.Second)
	time.Sleep(100 * time.Millisecond)
	for _, o := range f.checkExactlyOnce(true) {
		t.Log("(not an error) " + o)
	}
}
