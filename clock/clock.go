// Package clock is the program's one clock. Every timestamp the program
// writes and every "now" it compares with comes from a func() time.Time
// handed down from here (or from a test's Fake), never from the database's
// now() or a stray time.Now: with two clocks, moving the demo's clock or
// running the tests on another day counts people in the wrong month.
//
// Elapsed-time measures (pacing, timeouts, latency metrics) may still use
// time.Now and time.Since: they ask "how long", not "what day".
package clock

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Env names the variable that starts the program's clock at another
// instant (RFC 3339). It exists for the date guard: the suite runs with
// the clock years away, so a test that leans on today's date fails today
// rather than next month (see README, "Tests").
const Env = "REENTRYBOT_CLOCK"

// offsetEnv carries a process's offset to the processes it starts (tests
// run bot processes), so that all of them read the same moved clock:
// "<REENTRYBOT_CLOCK value>|<offset in ns>".
const offsetEnv = "REENTRYBOT_CLOCK_OFFSET"

// offset moves the machine's time to the program's; fixed at start, so
// that a process and the ones it starts agree.
var offset = func() time.Duration {
	v := os.Getenv(Env)
	if v == "" {
		return 0
	}
	if from, ns, ok := strings.Cut(os.Getenv(offsetEnv), "|"); ok && from == v {
		if d, err := strconv.ParseInt(ns, 10, 64); err == nil {
			return time.Duration(d)
		}
	}
	d, err := parseEnv(v, time.Now())
	if err != nil {
		// A typo must not silently fall back to today's date.
		panic(err)
	}
	os.Setenv(offsetEnv, v+"|"+strconv.FormatInt(int64(d), 10))
	return d
}()

// System is the program's clock: the machine's time, moved by
// REENTRYBOT_CLOCK when that is set (the moved clock then runs on from
// that instant, in this process and the ones it starts).
func System() time.Time { return time.Now().Add(offset) }

// parseEnv returns the offset from now to the instant v names.
func parseEnv(v string, now time.Time) (time.Duration, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want an RFC 3339 time such as 2031-02-28T09:00:00+07:00: %w", Env, v, err)
	}
	return t.Sub(now), nil
}

// Moved reports whether REENTRYBOT_CLOCK moves the clock, for a line in the
// log at start.
func Moved() bool { return offset != 0 }

// Fake is a clock a test sets and moves; safe for concurrent use.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake returns a clock standing at t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now is the clock's time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.t = t
	f.mu.Unlock()
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// Sleep waits d on the machine's clock (an elapsed time: pacing, backoff,
// a flood wait), or until ctx is done, whose error it then returns.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
