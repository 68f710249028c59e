package bottest

import (
	"strings"
	"time"

	"reentrybot/botapitest"
	"reentrybot/clock"
)

// Driver is a person at the test Bot API server: they type, share their
// phone and press buttons. Pressed is the newest message they pressed a
// button on, so that the next press waits for a newer question.
type Driver struct {
	R       *Rig
	U       botapitest.User
	Pressed int
}

// Driver is u, driven in r.
func (r *Rig) Driver(u botapitest.User) *Driver { return &Driver{R: r, U: u} }

// FindButton waits for a bot message newer than newer with a button whose
// option id is id, and returns the message and its data.
func (d *Driver) FindButton(chat int64, id string, newer int) (botapitest.Message, string) {
	d.R.T.Helper()
	return d.FindButtonWhere(chat, newer, id, func(data string) bool {
		return data == id || strings.HasSuffix(data, ":"+id) && !strings.HasPrefix(data, "k:")
	})
}

// FindButtonWhere waits for a bot message newer than newer with a button
// whose callback data matches.
func (d *Driver) FindButtonWhere(chat int64, newer int, what string, match func(data string) bool) (botapitest.Message, string) {
	d.R.T.Helper()
	deadline := clock.System().Add(15 * time.Second)
	for {
		msgs := d.R.BotMessages(chat)
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
				d.R.T.Logf("chat %d: %q", chat, m.Text)
			}
			d.R.T.Fatalf("no button %q after message %d in chat %d", what, newer, chat)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Tap presses the button with option id on the newest question.
func (d *Driver) Tap(id string) {
	d.R.T.Helper()
	m, data := d.FindButton(d.U.ID, id, d.Pressed)
	if _, err := d.R.API.PressButton(d.U, m, data); err != nil {
		d.R.T.Fatal(err)
	}
	d.Pressed = m.ID
}

// Say types text and waits until it is handled.
func (d *Driver) Say(text string) {
	d.R.T.Helper()
	d.R.WaitSeen(d.R.API.SendText(d.U, text))
}

// Share shares the user's phone number and waits until it is handled.
func (d *Driver) Share(phone string) {
	d.R.T.Helper()
	d.R.WaitSeen(d.R.API.ShareContact(d.U, phone))
}
