package bot_test

import (
	"github.com/go-telegram/bot/models"

	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/clock"
)

// driver is bottest's, under the names these tests knew.
type driver struct {
	*bottest.Driver
	r *rig
	u botapitest.User
}

func (r *rig) driver(u botapitest.User) *driver {
	return &driver{Driver: r.Rig.Driver(u), r: r, u: u}
}

func (d *driver) findButton(chat int64, id string, newer int) (botapitest.Message, string) {
	d.r.t.Helper()
	return d.FindButton(chat, id, newer)
}

func (d *driver) findButtonWhere(chat int64, newer int, what string, match func(data string) bool) (botapitest.Message, string) {
	d.r.t.Helper()
	return d.FindButtonWhere(chat, newer, what, match)
}

func (d *driver) tap(id string)      { d.r.t.Helper(); d.Tap(id) }
func (d *driver) say(text string)    { d.r.t.Helper(); d.Say(text) }
func (d *driver) share(phone string) { d.r.t.Helper(); d.Share(phone) }

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
