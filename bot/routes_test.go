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
	noop := func(*Bot, context.Context, *models.Update, models.User, flows.Input) error { return nil }
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
		{"same command, same feature",
			func(r *router) { r.command("stop", command{feature: "announce", others: noop}) },
			func(r *router) { r.command("stop", command{feature: "announce", others: noop}) }, true},
		{"same button prefix",
			func(r *router) { r.buttonPrefix("k:", button{feature: "desk", others: noop}) },
			func(r *router) { r.buttonPrefix("k:", button{feature: "reminders", others: noop}) }, true},
		{"same button data",
			func(r *router) { r.button("n:on", button{feature: "announce", others: noop}) },
			func(r *router) { r.button("n:on", button{feature: "desk", others: noop}) }, true},
		{"same start payload",
			func(r *router) { r.start("s_", "desk", start) },
			func(r *router) { r.start("s_", "other", start) }, true},
		{"same update handler",
			func(r *router) { r.update("membership", match, whole) },
			func(r *router) { r.update("membership", match, whole) }, true},
		{"same channel button prefix",
			func(r *router) { r.channelButtonPrefix("k:", "desk", nil) },
			func(r *router) { r.channelButtonPrefix("k:", "reminders", nil) }, true},
		{"a button without a handler", func(*router) {},
			func(r *router) { r.button("n:x", button{feature: "announce"}) }, true},
		{"an empty prefix", func(*router) {},
			func(r *router) { r.buttonPrefix("", button{feature: "desk", others: noop}) }, true},
		{"a longer prefix inside another", // the longest match wins
			func(r *router) { r.buttonPrefix("k:", button{feature: "desk", others: noop}) },
			func(r *router) { r.buttonPrefix("k:fu:", button{feature: "reminders", others: noop}) }, false},
		{"a command and button data of one name",
			func(r *router) { r.command("stop", command{feature: "announce", others: noop}) },
			func(r *router) { r.button("stop", button{feature: "announce", others: noop}) }, false},
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
			if _, ok := routes.commands[c.name]; !ok {
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

// The registered routes send each private input where handleOnce sent it
// before the registry.
func TestPrivateRoutes(t *testing.T) {
	cmd := func(name string) flows.Input { return flows.Input{Kind: flows.InCommand, Command: name} }
	press := func(data string) *models.CallbackQuery { return &models.CallbackQuery{Data: data} }
	tests := []struct {
		name      string
		in        flows.Input
		cq        *models.CallbackQuery
		feature   string // "" for the flows
		staffOnly bool
	}{
		{"text", flows.Input{Kind: flows.InText, Text: "queue"}, nil, "", false},
		{"/start", cmd("start"), nil, "", false},
		{"/language", cmd("language"), nil, "", false},
		{"an unknown command", cmd("frobnicate"), nil, "", false},
		{"/stop", cmd("stop"), nil, "announcements", false},
		{"/queue", cmd("queue"), nil, "desk", true},
		{"/setup", cmd("setup"), nil, "desk", true},
		{"/announce", cmd("announce"), nil, "announcements", true},
		{"/cancel", cmd("cancel"), nil, "announcements", true},
		{"/report", cmd("report"), nil, "operations", true},
		{"/audit", cmd("audit"), nil, "operations", true},
		{"stop button", flows.Input{}, press("n:stop"), "announcements", false},
		{"back on", flows.Input{}, press("n:on"), "announcements", false},
		{"keep off", flows.Input{}, press("n:off"), "announcements", false},
		{"another n: button", flows.Input{}, press("n:x"), "", false},
		{"follow-up answer", flows.Input{}, press(caseData("fu", 7, "yes")), "reminders", false}, // bot/reminders
		{"rating", flows.Input{}, press(caseData("rate", 7, "5")), "desk", false},
		{"a flows button", flows.Input{}, press(channel.ButtonData(3, "k:12")), "", false},
		{"another case button", flows.Input{}, press(caseData("take", 7)), "desk", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			route, ok := routes.private(tt.in, tt.cq)
			if ok != (tt.feature != "") || route.feature != tt.feature {
				t.Fatalf("routed %v to %q, want %q", ok, route.feature, tt.feature)
			}
			if ok && (route.others == nil) != tt.staffOnly {
				t.Errorf("staff only = %v, want %v", route.others == nil, tt.staffOnly)
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
