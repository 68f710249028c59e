package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Desk is the staff desk's settings (package desk).
type Desk struct {
	// Addr is the desk's own listener (DESK_ADDR); empty leaves it off.
	Addr string
	// URL is the desk's address as staff browsers reach it, through the
	// reverse proxy (DESK_URL): invites print their web link with it.
	URL string
	// IdleTimeout ends a session nobody used for this long.
	IdleTimeout time.Duration
	// LockAfter wrong sign-ins in a row lock the account for LockFor.
	LockAfter int
	LockFor   time.Duration
	// AddrLimit failed sign-ins from one client address in AddrWindow
	// pause sign-ins from it until the window ends.
	AddrLimit  int
	AddrWindow time.Duration
	// FrameAncestors may show the desk in a frame. No variable sets it:
	// only the demo does, for its playground; a real desk is never framed.
	FrameAncestors []string
}

func init() {
	Vars = append(Vars,
		Var{"DESK_ADDR", "", "Listen address of the staff desk in the browser (e.g. 127.0.0.1:8090, behind the reverse proxy); empty: no desk."},
		Var{"DESK_URL", "", "The desk's public HTTPS address (through the reverse proxy); `staff invite` then prints the web link of each invite too."},
		Var{"DESK_IDLE_TIMEOUT", "30m", "A desk session unused this long is signed out (1m–24h)."},
		Var{"DESK_LOCK_AFTER", "20", "Wrong desk sign-ins in a row that lock the account (1–1000)."},
		Var{"DESK_LOCK_FOR", "15m", "How long a locked desk account stays locked (1m–24h)."},
		Var{"DESK_ADDR_LIMIT", "50", "Failed desk sign-ins from one client address (any login) that pause its sign-ins until DESK_ADDR_WINDOW ends (1–10000)."},
		Var{"DESK_ADDR_WINDOW", "15m", "The window DESK_ADDR_LIMIT counts in (1m–24h)."},
	)
}

func loadDesk(val func(string) string, bad func(name, format string, args ...any)) Desk {
	d := Desk{Addr: val("DESK_ADDR")}
	if d.Addr != "" {
		if _, _, err := net.SplitHostPort(d.Addr); err != nil {
			bad("DESK_ADDR", "must be host:port, got %q", d.Addr)
		}
	}
	if u := strings.TrimRight(val("DESK_URL"), "/"); u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			bad("DESK_URL", "must be an http(s) URL, got %q", u)
		}
		d.URL = u
	}
	var err error
	if d.IdleTimeout, err = time.ParseDuration(val("DESK_IDLE_TIMEOUT")); err != nil || d.IdleTimeout < time.Minute || d.IdleTimeout > 24*time.Hour {
		bad("DESK_IDLE_TIMEOUT", "must be a duration from 1m to 24h, got %q", val("DESK_IDLE_TIMEOUT"))
	}
	if d.LockAfter, err = strconv.Atoi(val("DESK_LOCK_AFTER")); err != nil || d.LockAfter < 1 || d.LockAfter > 1000 {
		bad("DESK_LOCK_AFTER", "must be a number from 1 to 1000, got %q", val("DESK_LOCK_AFTER"))
	}
	if d.LockFor, err = time.ParseDuration(val("DESK_LOCK_FOR")); err != nil || d.LockFor < time.Minute || d.LockFor > 24*time.Hour {
		bad("DESK_LOCK_FOR", "must be a duration from 1m to 24h, got %q", val("DESK_LOCK_FOR"))
	}
	if d.AddrLimit, err = strconv.Atoi(val("DESK_ADDR_LIMIT")); err != nil || d.AddrLimit < 1 || d.AddrLimit > 10000 {
		bad("DESK_ADDR_LIMIT", "must be a number from 1 to 10000, got %q", val("DESK_ADDR_LIMIT"))
	}
	if d.AddrWindow, err = time.ParseDuration(val("DESK_ADDR_WINDOW")); err != nil || d.AddrWindow < time.Minute || d.AddrWindow > 24*time.Hour {
		bad("DESK_ADDR_WINDOW", "must be a duration from 1m to 24h, got %q", val("DESK_ADDR_WINDOW"))
	}
	return d
}
