package bot_test

import (
	"context"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/refdata"
	"reentrybot/store"
)

// withFastLimits lifts the pacing on both sides, for tests that walk long
// flows and are not about the limits.
func withFastLimits() rigOption {
	return func(o *bot.Options, so *[]botapitest.Option) {
		o.Limits.PerChatSecond, o.Limits.PerChatBurst = 1000, 100
		o.Limits.PerGroupMinute, o.Limits.GroupBurst = 60000, 100
		*so = append(*so, botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	}
}

func withSleep(sleep func(context.Context, time.Duration) error) rigOption {
	return func(o *bot.Options, _ *[]botapitest.Option) { o.Sleep = sleep }
}

func withClock(now func() time.Time) rigOption {
	return func(o *bot.Options, _ *[]botapitest.Option) { o.Now = now }
}

// loadCommunes imports the province's communes.
func (r *rig) loadCommunes() {
	r.t.Helper()
	if err := r.db.InTx(r.ctx, func(tx *store.Tx) error {
		_, err := refdata.LoadCommunes(r.ctx, tx)
		return err
	}); err != nil {
		r.t.Fatal(err)
	}
}

// lastPressed remembers, per chat, the newest message a test pressed a
// button on, so that the next press waits for a newer question.
type driver struct {
	r       *rig
	u       botapitest.User
	pressed int
}

func (r *rig) driver(u botapitest.User) *driver { return &driver{r: r, u: u} }

// findButton waits for a bot message newer than the last pressed one with
// a button whose option id is id, and returns the message and its data.
func (d *driver) findButton(chat int64, id string, newer int) (botapitest.Message, string) {
	d.r.t.Helper()
	return d.findButtonWhere(chat, newer, id, func(data string) bool {
		return data == id || strings.HasSuffix(data, ":"+id) && !strings.HasPrefix(data, "k:")
	})
}

// findButtonWhere waits for a bot message newer than newer with a button
// whose callback data matches.
func (d *driver) findButtonWhere(chat int64, newer int, what string, match func(data string) bool) (botapitest.Message, string) {
	d.r.t.Helper()
	deadline := clock.System().Add(15 * time.Second)
	for {
		msgs := d.r.botMessages(chat)
		for i := len(msgs) - 1; i >= 0; i-- {
			m := msgs[i]
			if m.ID <= newer || m.Markup == nil {
				continue
			}
			for _, row := range m.Markup.InlineKeyboard {
				for _, b := range row {
					if match(b.CallbackData) {
						return m, b.CallbackData
					}
				}
			}
		}
		if clock.System().After(deadline) {
			for _, m := range msgs {
				d.r.t.Logf("chat %d: %q", chat, m.Text)
			}
			d.r.t.Fatalf("no button %q after message %d in chat %d", what, newer, chat)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tap presses the button with option id on the newest question.
func (d *driver) tap(id string) {
	d.r.t.Helper()
	m, data := d.findButton(d.u.ID, id, d.pressed)
	if _, err := d.r.api.PressButton(d.u, m, data); err != nil {
		d.r.t.Fatal(err)
	}
	d.pressed = m.ID
}

// say types text and waits until it is handled.
func (d *driver) say(text string) {
	d.r.t.Helper()
	d.r.waitSeen(d.r.api.SendText(d.u, text))
}

// share shares the user's phone number and waits until it is handled.
func (d *driver) share(phone string) {
	d.r.t.Helper()
	d.r.waitSeen(d.r.api.ShareContact(d.u, phone))
}

// consentAndProfile walks a new person through consent and the profile
// the flow behind menu button flow asks for: buttons only but for name,
// year and the commune search. The counsellor flow asks only name, phone
// and commune.
func (d *driver) consentAndProfile(flow, name string) {
	d.say("/start")
	d.tap("agree_all")
	d.tap(flow)
	d.say(name)
	if flow != "m:counsel" {
		d.say("1990")
		d.tap("g:male")
	}
	d.share("+84 912 345 678")
	d.say("hiep hoa")
	d.tap("c:07840")
	if flow != "m:counsel" {
		d.tap("ed:upper_secondary")
	}
}

// waitFor waits until cond holds.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := clock.System().Add(15 * time.Second)
	for !cond() {
		if clock.System().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitText waits for a bot message in chat containing text.
func (r *rig) waitText(chat int64, text string) botapitest.Message {
	r.t.Helper()
	var found botapitest.Message
	defer func() {
		if r.t.Failed() {
			for _, m := range r.botMessages(chat) {
				r.t.Logf("chat %d: %q", chat, m.Text)
			}
		}
	}()
	r.waitFor("a message containing "+text, func() bool {
		for _, m := range r.botMessages(chat) {
			if strings.Contains(m.Text, text) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// staffAccount invites and binds a staff member, returning their user.
func (r *rig) staffAccount(role store.Role, communes []string, name string) botapitest.User {
	r.t.Helper()
	code, hash := bot.NewInviteCode()
	if _, err := r.db.CreateInvite(r.ctx, role, communes, name, hash, clock.System().Add(time.Hour)); err != nil {
		r.t.Fatal(err)
	}
	u := r.api.NewUser(name, "vi")
	r.waitSeen(r.api.SendText(u, "/start "+bot.InvitePrefix+code))
	r.waitText(u.ID, name)
	return u
}

// staffGroup makes a forum supergroup the workspace, set up by admin.
func (r *rig) staffGroup(admin botapitest.User) botapitest.Chat {
	r.t.Helper()
	g := r.api.NewGroup("Tổ tư vấn", true)
	r.waitSeen(r.api.SendTextIn(g.ID, 0, admin, "/setup"))
	r.waitText(g.ID, "Đã thiết lập")
	return g
}

func callbackUpdate(from botapitest.User, m botapitest.Message, data string) models.Update {
	return models.Update{CallbackQuery: &models.CallbackQuery{
		ID:   "forged-1",
		From: models.User{ID: from.ID, FirstName: from.FirstName},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
			ID: m.ID, Date: int(clock.System().Unix()), Chat: models.Chat{ID: m.ChatID, Type: models.ChatTypeSupergroup, IsForum: true},
			MessageThreadID: m.ThreadID, IsTopicMessage: m.ThreadID != 0,
		}},
		Data: data,
	}}
}
