package bot_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"reentrybot/botapitest"
	"reentrybot/desk"
	"reentrybot/desk/desktest"
	"reentrybot/store"
)

// The same case from Telegram and the web desk: a counsellor in the topic
// and one at the desk press take at the same moment; one wins and the
// other is told. A case taken and answered at the desk shows its taker on
// the topic card, and the answer reaches the returnee signed.
func TestDeskAndTelegramTakeTheSameCase(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	lan := r.staffAccount(store.RoleCounsellor, nil, "Chị Lan")
	g := r.staffGroup(admin)

	base := r.deskServer(desk.Options{}) // desk_bridge_test.go
	web := desktest.Member(t, base, r.deskInvite("Anh Minh"), "minh", r.db.Now())

	// openCase walks a returnee to a case and returns its card in the topic.
	openCase := func(name string, id int64) (botapitest.User, botapitest.Message) {
		u := r.api.NewUser(name, "vi")
		r.driver(u).consentAndProfile("m:counsel", "Trần Văn "+name)
		r.driver(u).say("Tôi cần hỏi về việc làm")
		var card botapitest.Message
		r.waitFor("the card of case "+name, func() bool {
			for _, tp := range r.api.Topics(g.ID) {
				for _, m := range r.api.TopicMessages(g.ID, tp.ThreadID) {
					if m.Markup != nil && strings.Contains(m.Text, "Tên gọi: "+name) {
						card = m
						return true
					}
				}
			}
			return false
		})
		return u, card
	}

	_, card := openCase("Bình", 1)
	var wg sync.WaitGroup
	var webStatus int
	var webBody string
	wg.Add(1)
	go func() {
		defer wg.Done()
		webStatus, webBody, _ = web.Post("/case/1/take", url.Values{"csrf": {web.CSRF}})
	}()
	before := len(r.api.CallbackAnswers())
	if _, err := r.api.PressButton(lan, card, "k:take:1"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	r.waitFor("the Telegram take answered", func() bool { return len(r.api.CallbackAnswers()) > before })
	var assignee string
	if err := r.x.Get(&assignee, `SELECT s.display_name FROM cases c JOIN staff s ON s.id = c.assignee_staff_id WHERE c.id = 1`); err != nil {
		t.Fatal(err)
	}
	toldInTelegram := false
	for _, a := range r.api.CallbackAnswers()[before:] {
		toldInTelegram = toldInTelegram || strings.Contains(a.Text, "Anh Minh đã nhận")
	}
	switch assignee {
	case "Anh Minh":
		if webStatus != http.StatusSeeOther || !toldInTelegram {
			t.Errorf("the desk won: web %d, Telegram told %v: %+v", webStatus, toldInTelegram, r.api.CallbackAnswers()[before:])
		}
	case "Chị Lan":
		if webStatus != http.StatusConflict || !strings.Contains(webBody, "đã được Chị Lan nhận") {
			t.Errorf("Telegram won: web %d\n%.600s", webStatus, webBody[strings.Index(webBody, "<main>"):])
		}
	default:
		t.Fatalf("assignee %q", assignee)
	}
	var takes int
	if err := r.x.Get(&takes, `SELECT count(*) FROM case_events WHERE case_id = 1 AND kind = 'assigned'`); err != nil || takes != 1 {
		t.Errorf("%d assigned events (%v)", takes, err)
	}

	// Taken and answered at the desk: the card says who, the returnee
	// gets the answer.
	u2, card2 := openCase("Cường", 2)
	if st, _, _ := web.Post("/case/2/take", url.Values{"csrf": {web.CSRF}}); st != http.StatusSeeOther {
		t.Fatalf("desk take: %d", st)
	}
	r.waitFor("the card showing the desk's taker", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, card2.ThreadID) {
			if m.ID == card2.ID {
				return m.Markup != nil && strings.Contains(m.Markup.InlineKeyboard[0][0].Text, "Anh Minh")
			}
		}
		return false
	})
	if st, _, _ := web.Post("/case/2/answer", url.Values{"csrf": {web.CSRF}, "text": {"Chào anh Cường, em là Minh."}}); st != http.StatusSeeOther {
		t.Fatalf("desk answer: %d", st)
	}
	if got := r.waitText(u2.ID, "em là Minh"); !strings.Contains(got.Text, "Anh Minh") {
		t.Errorf("the answer is not signed: %q", got.Text)
	}
}
