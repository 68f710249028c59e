package bot_test

import (
	"strings"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/botapitest"
	"reentrybot/clock"
)

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
