package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/store"
)

// The feature packages (bot/announcements, bot/casework, bot/ops,
// bot/reminders) register into the same routes: this test binary has them
// because the external tests import bot/bottest, which imports them as app
// does. The rows naming "operations", "reminders", "announcements" and
// the desk's /queue, rating and invite link (bot/casework) below check their claims.

// A second feature claiming a name a first one owns is refused at init,
// whatever the kind of name.
func TestRoutesRefuseASecondClaim(t *testing.T) {
	noop := func(context.Context, *Bot, *ChannelEvent) (bool, []channel.Message, error) { return false, nil, nil }
	start := func(*Bot, context.Context, *models.Update, models.User, string) error { return nil }
	whole := func(*Bot, context.Context, *models.Update) error { return nil }
	match := func(*models.Update) bool { return false }
	tests := []struct {
		name          string
		first, second func(r *router)
		refused       bool
	}{
		{"same command",
			func(r *router) { r.command("queue", command{feature: "desk", staffOnly: true}) },
			func(r *router) { r.command("queue", command{feature: "announce", staffOnly: true}) }, true},
		{"same returnee command, same feature",
			func(r *router) { r.channelCommand("stop", "announce", noop) },
			func(r *router) { r.channelCommand("stop", "announce", noop) }, true},
		{"same button prefix",
			func(r *router) { r.channelButtonPrefix("k:", "desk", noop) },
			func(r *router) { r.channelButtonPrefix("k:", "reminders", noop) }, true},
		{"same button data",
			func(r *router) { r.channelButton("n:on", "announce", noop) },
			func(r *router) { r.channelButton("n:on", "desk", noop) }, true},
		{"same start payload",
			func(r *router) { r.start("s_", "desk", start) },
			func(r *router) { r.start("s_", "other", start) }, true},
		{"same update handler",
			func(r *router) { r.update("membership", match, whole) },
			func(r *router) { r.update("membership", match, whole) }, true},
		{"a button without a handler", func(*router) {},
			func(r *router) { r.channelButton("n:x", "announce", nil) }, true},
		{"an empty prefix", func(*router) {},
			func(r *router) { r.channelButtonPrefix("", "desk", noop) }, true},
		{"a longer prefix inside another", // the longest match wins
			func(r *router) { r.channelButtonPrefix("k:", "desk", noop) },
			func(r *router) { r.channelButtonPrefix("k:fu:", "reminders", noop) }, false},
		{"a returnee command and button data of one name",
			func(r *router) { r.channelCommand("stop", "announce", noop) },
			func(r *router) { r.channelButton("stop", "announce", noop) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRouter()
			tt.first(r)
			var got any
			func() {
				defer func() { got = recover() }()
				tt.second(r)
			}()
			if refused := got != nil; refused != tt.refused {
				t.Fatalf("refused = %v (%v), want %v", refused, got, tt.refused)
			}
			if tt.refused && !strings.Contains(got.(string), "routes:") {
				t.Errorf("panic %q does not say it is the routes", got)
			}
		})
	}
}

// Every command Telegram offers in a menu has its handler: the returnees'
// menu routes somewhere, and each staff role's menu has a staff handler.
func TestMenuCommandsHaveHandlers(t *testing.T) {
	for _, c := range commands {
		t.Run("returnee/"+c.name, func(t *testing.T) {
			_, flows := routes.commands[c.name]
			_, feature := routes.chCommands[c.name]
			if !flows && !feature {
				t.Fatalf("/%s is in the returnees' menu but not registered", c.name)
			}
		})
	}
	for _, role := range []store.Role{store.RoleCounsellor, store.RoleOfficer, store.RoleAdmin} {
		names := routes.roleCommands(role)
		if len(names) < 2 || names[len(names)-1] != "help" {
			t.Errorf("%s menu %v: want its commands, help last", role, names)
		}
		for _, name := range names {
			t.Run(string(role)+"/"+name, func(t *testing.T) {
				c, ok := routes.commands[name]
				if !ok || c.staff == nil {
					t.Fatalf("/%s is in the %s menu without a staff handler", name, role)
				}
			})
		}
	}
	for _, name := range routes.groupCommands() {
		if c, ok := routes.commands[name]; !ok || c.staff == nil {
			t.Errorf("/%s is in the staff group's menu without a staff handler", name)
		}
	}
}

// Of a private chat's inputs only the staff-only commands are routed
// before handleReturnee (anyone else is refused them); everything else,
// a returnee's feature commands and buttons too, goes to handleReturnee,
// whose first statement is the staff check (TestChannelRoutes has where a
// feature event goes from there).
func TestPrivateRoutes(t *testing.T) {
	cmd := func(name string) flows.Input { return flows.Input{Kind: flows.InCommand, Command: name} }
	tests := []struct {
		name      string
		in        flows.Input
		staffOnly bool
	}{
		{"text", flows.Input{Kind: flows.InText, Text: "queue"}, false},
		{"/start", cmd("start"), false},
		{"/language", cmd("language"), false},
		{"an unknown command", cmd("frobnicate"), false},
		{"/stop", cmd("stop"), false},
		{"/queue", cmd("queue"), true},
		{"/setup", cmd("setup"), true},
		{"/announce", cmd("announce"), true},
		{"/cancel", cmd("cancel"), true},
		{"/report", cmd("report"), true},
		{"/audit", cmd("audit"), true},
		{"/revoke", cmd("revoke"), true},
		{"a press", flows.Input{Kind: flows.InChoice, Choice: "n:stop"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := routes.staffOnly(tt.in); got != tt.staffOnly {
				t.Fatalf("staff only = %v, want %v", got, tt.staffOnly)
			}
		})
	}
	upd := &models.Update{ChatMember: &models.ChatMemberUpdated{}}
	if r := routes.forUpdate(upd); r == nil || r.feature != "membership" {
		t.Errorf("chat_member update routed to %+v", r)
	}
	grp := &models.Update{Message: &models.Message{Chat: models.Chat{Type: models.ChatTypeSupergroup}}}
	if r := routes.forUpdate(grp); r == nil || r.feature != "desk group" {
		t.Errorf("group message routed to %+v", r)
	}
	if r := routes.forUpdate(&models.Update{Message: &models.Message{Chat: models.Chat{Type: models.ChatTypePrivate}}}); r != nil {
		t.Errorf("private message taken whole by %s", r.feature)
	}
	if fn, payload := routes.startPayload(flows.Input{Kind: flows.InCommand, Command: "start", Arg: InvitePrefix + "abc"}); fn == nil || payload != "abc" {
		t.Errorf("invite link: handler %v, payload %q", fn != nil, payload)
	}
	if fn, _ := routes.startPayload(flows.Input{Kind: flows.InCommand, Command: "start", Arg: "ref42"}); fn != nil {
		t.Error("a payload no feature owns was taken")
	}
}

// Events of other channels go to the feature that registered them (the
// feature packages' through bot/bottest, as in TestPrivateRoutes): a
// longer prefix wins over the desk's "k:".
func TestChannelRoutes(t *testing.T) {
	text := func(s string) channel.Event { return channel.Event{Kind: channel.EvText, Text: s} }
	press := func(data string) channel.Event { return channel.Event{Kind: channel.EvButton, Data: data} }
	tests := []struct {
		name string
		ev   channel.Event
		want string // the feature, "" for the flows
	}{
		{"/stop", text("/stop"), "announcements"},
		{"/start", text("/start"), "announcements"},
		{"stop typed", text("stop"), ""},
		{"/queue", text("/queue"), ""},
		{"back on", press("n:on"), "announcements"},
		{"keep off", press("n:off"), "announcements"},
		{"the stop button under an announcement", press("n:stop"), "announcements"},
		{"rating", press(caseData("rate", 7, "5")), "desk"},
		{"follow-up answer", press(caseData("fu", 7, "yes")), "reminders"},
		{"a flows button", press(channel.ButtonData(3, "k:12")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := routes.forChannel(tt.ev)
			if got.feature != tt.want || (got.fn == nil) != (tt.want == "") {
				t.Errorf("routed to %q (handler %v), want %q", got.feature, got.fn != nil, tt.want)
			}
		})
	}
}
