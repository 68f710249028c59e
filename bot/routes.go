package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/store"
)

// The routes of a Telegram update (issue 13, item 4). Features register,
// from their own files' init, the commands, the button data and the /start
// payloads they own, and the handlers of whole kinds of updates (the staff
// group, membership changes); handleOnce asks here instead of knowing every
// feature. A second claim to a name panics at init: two features can never
// both believe they own it.

// staffFn handles a staff member's command in their private chat, inside
// the update's transaction (handleStaffPrivate).
type staffFn func(b *Bot, ctx context.Context, tx *store.Tx, fx *Effects, s store.Staff, from models.User, m *models.Message, in flows.Input) error

// startFn handles /start with a payload it owns (a deep link), the
// payload's prefix already cut.
type startFn func(b *Bot, ctx context.Context, upd *models.Update, from models.User, payload string) error

// command is who may use a command and who answers it.
type command struct {
	feature   string
	staffOnly bool    // anyone else is refused like an unknown command, and audited
	staff     staffFn // nil: the staff member gets their help
	// menu: the roles whose private chat menu shows the command; group:
	// shown in the staff group's menu (menus.go).
	menu  []store.Role
	group bool
	core  bool // a command on a case (the desk's): after the features' in a menu
}

// updateRoute takes a whole kind of update before the private-chat routes.
type updateRoute struct {
	feature string
	match   func(*models.Update) bool
	handle  func(b *Bot, ctx context.Context, upd *models.Update) error
}

type router struct {
	commands map[string]command
	starts   map[string]startFn
	owners   map[string]string // "kind name" → feature, to refuse a second claim
	order    []string          // commands in the order they were registered (menus)
	updates  []updateRoute
	desk     Desk       // the counsellor desk's points (desk_hooks.go)
	jobs     []sweepJob // the sweeper's (features.go)
	runners  []runner   // run while the bot runs (features.go)
	// First looks at a staff member's private input, and hooks of a
	// returnee's /start (features.go).
	staffInputs []func(ctx context.Context, b *Bot, in *StaffInput) (bool, error)

	// A returnee's feature events on every channel: commands, exact
	// button data, button data prefixes.
	chCommands, chData, chPrefixes map[string]channelRoute
}

// channelRoute is a feature's handler of a returnee's event on any
// channel (returnee_events.go).
type channelRoute struct {
	feature string
	fn      featureFn
}

var routes = newRouter()

func newRouter() *router {
	return &router{
		commands: map[string]command{},
		starts:   map[string]startFn{}, owners: map[string]string{},
		chCommands: map[string]channelRoute{}, chData: map[string]channelRoute{}, chPrefixes: map[string]channelRoute{},
	}
}

// claim panics when name is already owned: a programming error, found by
// any test at init.
func (r *router) claim(kind, name, feature string) {
	key := kind + " " + name
	if name == "" {
		panic(fmt.Sprintf("routes: %s claims an empty %s", feature, kind))
	}
	if prev, ok := r.owners[key]; ok {
		panic(fmt.Sprintf("routes: %s %q claimed by %s and %s", kind, name, prev, feature))
	}
	r.owners[key] = feature
}

// command registers a command.
func (r *router) command(name string, c command) {
	r.claim("command", name, c.feature)
	r.commands[name] = c
	r.order = append(r.order, name)
}

// start registers a /start payload prefix.
func (r *router) start(prefix, feature string, fn startFn) {
	r.claim("start payload", prefix, feature)
	r.starts[prefix] = fn
}

// update registers a handler of a whole kind of update.
func (r *router) update(feature string, match func(*models.Update) bool, handle func(b *Bot, ctx context.Context, upd *models.Update) error) {
	r.claim("update", feature, feature)
	r.updates = append(r.updates, updateRoute{feature, match, handle})
}

// forUpdate is the handler that takes upd whole, if any.
func (r *router) forUpdate(upd *models.Update) *updateRoute {
	for i := range r.updates {
		if r.updates[i].match(upd) {
			return &r.updates[i]
		}
	}
	return nil
}

// startPayload is the handler of a /start deep link (the longest
// registered prefix of its payload), and the payload after that prefix.
func (r *router) startPayload(in flows.Input) (startFn, string) {
	if in.Kind != flows.InCommand || in.Command != "start" {
		return nil, ""
	}
	p, fn, ok := longestPrefix(r.starts, in.Arg)
	if !ok {
		return nil, ""
	}
	return fn, strings.TrimPrefix(in.Arg, p)
}

// staffOnly reports whether in is a staff-only command: staff get it in
// handleStaffPrivate, anyone else is refused. Everything else a private
// chat sends goes to handleReturnee, whose first statement is the staff
// check (a returnee's feature commands and buttons are found there, by
// forChannel, as on every channel).
func (r *router) staffOnly(in flows.Input) bool {
	if in.Kind != flows.InCommand {
		return false
	}
	c, ok := r.commands[in.Command]
	return ok && c.staffOnly
}

// staffCommand answers a staff member's command in their private chat.
func (r *router) staffCommand(b *Bot, ctx context.Context, tx *store.Tx, fx *Effects, s store.Staff, from models.User, m *models.Message, in flows.Input) error {
	if c, ok := r.commands[in.Command]; ok && c.staff != nil {
		return c.staff(b, ctx, tx, fx, s, from, m, in)
	}
	return staffHelpCmd(b, ctx, tx, fx, s, from, m, in)
}

// The flows' own commands: anyone may use them; staff get their help.
func init() {
	for _, name := range []string{"start", "help", "menu"} {
		c := command{feature: "flows", staff: staffHelpCmd}
		if name == "help" {
			c.menu = []store.Role{store.RoleCounsellor, store.RoleOfficer, store.RoleAdmin}
		}
		routes.command(name, c)
	}
	for _, name := range []string{"language", "mydata", "delete", "privacy"} {
		routes.command(name, command{feature: "flows"})
	}
}

// longestPrefix is the longest key of m that prefixes s, and its value.
func longestPrefix[T any](m map[string]T, s string) (key string, v T, ok bool) {
	for p := range m {
		if len(p) > len(key) && strings.HasPrefix(s, p) {
			key = p
		}
	}
	v, ok = m[key]
	return key, v, ok && key != ""
}

// channelCommand registers what a returnee on another channel gets for a
// command, before the flows.
func (r *router) channelCommand(name, feature string, fn featureFn) {
	mustHandle(feature, fn)
	r.claim("channel command", name, feature)
	r.chCommands[name] = channelRoute{feature, fn}
}

// channelButton registers exact button data on other channels.
func (r *router) channelButton(data, feature string, fn featureFn) {
	mustHandle(feature, fn)
	r.claim("channel button data", data, feature)
	r.chData[data] = channelRoute{feature, fn}
}

// channelButtonPrefix registers a prefix of button data on other channels;
// the longest match wins.
func (r *router) channelButtonPrefix(prefix, feature string, fn featureFn) {
	mustHandle(feature, fn)
	r.claim("channel button prefix", prefix, feature)
	r.chPrefixes[prefix] = channelRoute{feature, fn}
}

// mustHandle refuses a registration without a handler: the person's
// event would have no answer.
func mustHandle(feature string, fn featureFn) {
	if fn == nil {
		panic(fmt.Sprintf("routes: %s registers a returnee's event without a handler", feature))
	}
}

// forChannel is the handler of an event on another channel, one without
// fn for the flows.
func (r *router) forChannel(ev channel.Event) channelRoute {
	switch ev.Kind {
	case channel.EvText:
		if cmd, _, ok := telegram.ParseCommand(ev.Text, ""); ok {
			return r.chCommands[cmd]
		}
	case channel.EvButton:
		if fn, ok := r.chData[ev.Data]; ok {
			return fn
		}
		_, fn, _ := longestPrefix(r.chPrefixes, ev.Data)
		return fn
	}
	return channelRoute{}
}
