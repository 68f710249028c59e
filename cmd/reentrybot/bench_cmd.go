package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"reentrybot/bench"
)

// benchCommand is `reentrybot bench`; it becomes a command once listed in
// commands (main.go).
var benchCommand = command{"bench", "bench [--people N] [--active N] [--updates N] [--rates R,...] [--tune T]",
	"measure the bot under load on this machine (private database and test Bot API server; see BENCHMARKS.md)", cmdBench}

// cmdBench runs the figures of BENCHMARKS.md: the bot's throughput and
// latency end to end against a bare echo bot, then the peak memory of a
// `reentrybot serve` process. BENCH_DATABASE_URL (a superuser URL) uses an
// existing PostgreSQL server instead of a private one.
func cmdBench(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stdout)
	people := fs.Int("people", 100_000, "people rows in the database")
	active := fs.Int("active", 1_000, "of them in the middle of a flow, sending the load")
	updates := fs.Int("updates", 6_000, "updates per run")
	rates := fs.String("rates", "500,1000", "offered loads of the latency runs, updates/s")
	tuneFlag := fs.String("tune", "", "proposed changes to try: idle, http, workers=N, all (see bench.Tuning)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tune, err := bench.ParseTuning(*tuneFlag)
	if err != nil {
		return err
	}
	var offered []float64
	for _, f := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			return fmt.Errorf("--rates: %q is not a rate", f)
		}
		offered = append(offered, r)
	}
	pg, err := bench.StartPostgres(ctx, os.Getenv("BENCH_DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pg.Close()
	fmt.Fprintf(stdout, "machine: %s; PostgreSQL %s\n", bench.Machine(), pg.Version(ctx))

	// with builds an environment, starts a target on it and primes the
	// users, runs fn, then takes it all down.
	with := func(name string, cfg bench.EnvConfig, start func(*bench.Env) (func(), error), fn func(*bench.Env) error) error {
		e, err := bench.NewEnv(ctx, pg, cfg)
		if err != nil {
			return err
		}
		defer e.Close()
		stop, err := start(e)
		if err != nil {
			return err
		}
		defer stop()
		if err := e.Prime(ctx, 0); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return fn(e)
	}
	seeded := bench.EnvConfig{People: *people, Active: *active, SyncCommit: true}
	inProcess := func(e *bench.Env) (func(), error) { return bench.StartBot(ctx, e, bench.FastLimits(), tune, nil) }
	echo := func(e *bench.Env) (func(), error) { return bench.StartEcho(ctx, e) }

	var bot, base bench.Result
	err = with("reentrybot", seeded, inProcess, func(e *bench.Env) error {
		if bot, err = e.Run(ctx, bench.Load{Updates: *updates}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "reentrybot (%s), as fast as answers come: %v\n", tune, bot)
		for _, r := range offered {
			res, err := e.Run(ctx, bench.Load{Updates: *updates, Rate: r})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "reentrybot at %.0f/s: %v\n", r, res)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = with("echo", bench.EnvConfig{Active: *active}, echo, func(e *bench.Env) error {
		if base, err = e.Run(ctx, bench.Load{Updates: *updates}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "echo bot, as fast as answers come: %v\n", base)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "throughput reentrybot/echo: %.2f\n", bot.PerSecond/base.PerSecond)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var child *bench.Child
	serve := func(e *bench.Env) (func(), error) {
		c, err := bench.StartChild(exec.Command(self, "serve"), e, "SEND_RATE=1000")
		if err != nil {
			return nil, err
		}
		child, e.ChildPID = c, c.Pid()
		return func() { c.Stop() }, nil
	}
	return with("serve", seeded, serve, func(e *bench.Env) error {
		// Under Telegram's pace of one message a second per chat.
		rate := min(500, float64(*active)/2)
		res, err := e.Run(ctx, bench.Load{Updates: *updates, Rate: rate, Timeout: time.Minute})
		if err != nil {
			return err
		}
		rss, err := child.PeakRSS()
		if err != nil {
			return errors.Join(errors.New("reading the bot process's peak memory"), err)
		}
		fmt.Fprintf(stdout, "reentrybot serve (pid %d) with %d people, %d in a flow, at %.0f/s: peak RSS %.1f MiB; %v\n",
			child.Pid(), *people, *active, rate, float64(rss)/(1<<20), res)
		return nil
	})
}
