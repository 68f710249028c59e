package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The benchmarks share one PostgreSQL server (a throwaway cluster, or the
// one at $BENCH_DATABASE_URL, a superuser URL) and build their
// environments once per binary run.
//
//	go test -run '^$' -bench . -benchtime 20000x ./bench
//
// BENCH_LOG=1 shows the bot's warnings and errors.

func TestMain(m *testing.M) {
	if os.Getenv(ChildEnv) != "" {
		os.Exit(ServeChild())
	}
	code := m.Run()
	shared.close()
	os.Exit(code)
}

type sharedState struct {
	mu   sync.Mutex
	pg   *Postgres
	envs map[string]*Env
	stop []func()
}

var shared sharedState

// rssChild is BenchmarkPeakRSS's bot process, kept across its rounds.
var rssChild *Child

func (s *sharedState) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.stop) - 1; i >= 0; i-- {
		s.stop[i]()
	}
	for _, e := range s.envs {
		if err := e.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
	if s.pg != nil {
		s.pg.Close()
	}
}

func logger() *slog.Logger {
	if os.Getenv("BENCH_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.DiscardHandler)
}

// env returns the environment named key, building it on first use with
// cfg and start (which starts the bot under test against it).
func env(b *testing.B, key string, cfg EnvConfig, start func(ctx context.Context, e *Env) (func(), error)) *Env {
	b.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if e := shared.envs[key]; e != nil {
		return e
	}
	ctx := context.Background()
	if cfg.People > 0 {
		sharedPostgresLocked(b)
	}
	began := time.Now()
	cfg.Log = logger()
	e, err := NewEnv(ctx, shared.pg, cfg)
	if err != nil {
		b.Fatal(err)
	}
	stop, err := start(ctx, e)
	if err != nil {
		e.Close()
		b.Fatal(err)
	}
	shared.stop = append(shared.stop, stop)
	if shared.envs == nil {
		shared.envs = map[string]*Env{}
	}
	shared.envs[key] = e
	if err := e.Prime(ctx, 0); err != nil {
		b.Fatal(err)
	}
	pgv := "none"
	if shared.pg != nil && cfg.People > 0 {
		pgv = "PostgreSQL " + shared.pg.Version(ctx)
	}
	b.Logf("%s: %d people, %d active, ready in %v; %s; %s", key, cfg.People, cfg.Active,
		time.Since(began).Round(time.Millisecond), pgv, Machine())
	return e
}

const (
	benchPeople = 100_000
	benchActive = 1_000
)

// reentryEnv runs the bot in this process; BENCH_TUNE (see ParseTuning)
// tries proposed changes.
func reentryEnv(b *testing.B) *Env {
	tune, err := ParseTuning(os.Getenv("BENCH_TUNE"))
	if err != nil {
		b.Fatal(err)
	}
	return env(b, "reentrybot", EnvConfig{People: benchPeople, Active: benchActive, SyncCommit: true},
		func(ctx context.Context, e *Env) (func(), error) {
			b.Logf("bot %s", tune)
			return StartBot(ctx, e, FastLimits(), tune, logger())
		})
}

// processEnv runs the bot in its own process (this test binary serving
// with FastLimits and BENCH_TUNE), so that its CPU time is its own.
func processEnv(b *testing.B) *Env {
	return env(b, "reentrybot-process", EnvConfig{People: benchPeople, Active: benchActive, SyncCommit: true},
		func(ctx context.Context, e *Env) (func(), error) {
			return startChildBot(e, ChildEnv+"=fast")
		})
}

// startChildBot starts this test binary as the bot's process for e.
func startChildBot(e *Env, env ...string) (func(), error) {
	c, err := StartChild(exec.Command(os.Args[0], "-test.run=^$"), e, env...)
	if err != nil {
		return nil, err
	}
	e.ChildPID = c.Pid()
	return func() {
		if err := c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}, nil
}

func echoEnv(b *testing.B) *Env {
	return env(b, "echo", EnvConfig{Active: benchActive}, StartEcho)
}

// run sends b.N updates and reports the figures.
func run(b *testing.B, e *Env, l Load) Result {
	b.Helper()
	l.Updates = b.N
	b.ResetTimer()
	var s0 int64
	if e.DB != nil {
		e.DB.Get(&s0, `SELECT sessions FROM pg_stat_database WHERE datname = current_database()`)
	}
	res, err := e.Run(context.Background(), l)
	b.StopTimer()
	if e.DB != nil {
		var s1 int64
		e.DB.Get(&s1, `SELECT sessions FROM pg_stat_database WHERE datname = current_database()`)
		b.Logf("database sessions opened during the run: %d", s1-s0)
	}
	if err != nil {
		b.Fatal(err)
	}
	if res.Extra != 0 {
		b.Errorf("%d replies answered no input", res.Extra)
	}
	b.ReportMetric(res.PerSecond, "updates/s")
	b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
	if l.Rate > 0 {
		b.ReportMetric(float64(res.Late), "late")
	}
	b.ReportMetric(res.CPUOther.Seconds(), "other-cpu-s") // the machine's other work: large means disturbed
	b.Log(res)
	return res
}

// BenchmarkEndToEnd: 1,000 returnees in the middle of the job flow (among
// 100,000 people) type and press as fast as the answers come, against the
// bot and against a bare echo bot on the same test server; the parent
// logs the ratio of their throughputs.
func BenchmarkEndToEnd(b *testing.B) {
	var bot, echo Result
	b.Run("reentrybot", func(b *testing.B) { bot = run(b, reentryEnv(b), Load{}) })
	b.Run("echo", func(b *testing.B) { echo = run(b, echoEnv(b), Load{}) })
	b.Run("reentrybot-process", func(b *testing.B) { run(b, processEnv(b), Load{}) })
	if bot.PerSecond > 0 && echo.PerSecond > 0 {
		b.Logf("throughput reentrybot/echo = %.0f/%.0f = %.2f", bot.PerSecond, echo.PerSecond, bot.PerSecond/echo.PerSecond)
	}
}

// BenchmarkLatency: the same returnees at a steady offered load, 1,000
// updates/s unless BENCH_RATES lists others (e.g. 300,500,800): each user
// sends an input every users/rate seconds, so latency is that of the bot
// at that load, not of a queue.
func BenchmarkLatency(b *testing.B) {
	rates := []float64{1000}
	if s := os.Getenv("BENCH_RATES"); s != "" {
		rates = nil
		for _, f := range strings.Split(s, ",") {
			r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || r <= 0 {
				b.Fatalf("BENCH_RATES: %q", f)
			}
			rates = append(rates, r)
		}
	}
	for _, rate := range rates {
		name := strconv.FormatFloat(rate, 'f', -1, 64) + "/s"
		b.Run("reentrybot/"+name, func(b *testing.B) { run(b, reentryEnv(b), Load{Rate: rate}) })
		b.Run("echo/"+name, func(b *testing.B) { run(b, echoEnv(b), Load{Rate: rate}) })
		b.Run("reentrybot-process/"+name, func(b *testing.B) { run(b, processEnv(b), Load{Rate: rate}) })
	}
}

// BenchmarkPeakRSS: the bot in its own process (this test binary serving as
// `reentrybot serve` would, default limits but SEND_RATE=1000) with 100,000
// people rows while 1,000 of them are in a flow, sending 500 updates/s for
// 12 s; reports the process's peak RSS (VmHWM). It ignores b.N: run it
// with -benchtime 1x.
func BenchmarkPeakRSS(b *testing.B) {
	ctx := context.Background()
	e := env(b, "child", EnvConfig{People: benchPeople, Active: benchActive, SyncCommit: true},
		func(ctx context.Context, e *Env) (func(), error) {
			c, err := StartChild(exec.Command(os.Args[0], "-test.run=^$"), e, ChildEnv+"=1", "SEND_RATE=1000")
			if err != nil {
				return nil, err
			}
			rssChild, e.ChildPID = c, c.Pid()
			return func() {
				if err := c.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, err)
				}
			}, nil
		})
	child := rssChild
	b.ResetTimer()
	res, err := e.Run(ctx, Load{Updates: 6000, Rate: 500})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	rss, err := child.PeakRSS()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(res.PerSecond, "updates/s")
	b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
	b.Logf("bot process %d: peak RSS %.1f MiB; %v", child.Pid(), float64(rss)/(1<<20), res)
}
