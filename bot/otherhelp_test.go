package bot_test

import (
	"strings"
	"testing"

	"reentrybot/botapitest"
	"reentrybot/store"
)

// Papers & other help over Telegram (issue 17, item 7): the card reaches
// the person as valid HTML, the request asks for the purpose "other" and
// opens a case whose topic and card say what help is asked for.
func TestOtherHelpOpensACase(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	g := r.staffGroup(admin)

	u := r.api.NewUser("Hà", "vi")
	d := r.driver(u)
	d.say("/start")
	d.tap("decline")
	d.tap("m:papers")
	r.waitText(u.ID, "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Bắc Ninh")
	d.tap("ask")
	d.tap("yes") // consent to "other" only
	d.say("Nguyễn Thị Hà")
	d.share("+84 912 345 679")
	d.say("hiep hoa")
	d.tap("c:07840")
	d.tap("a:legal")
	d.say("Tôi cần hỏi về giấy tờ nhà")
	r.waitText(u.ID, "số 1")

	var granted []string
	if err := r.x.Select(&granted, `SELECT purpose FROM consents WHERE granted ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(granted, ",") != "other" {
		t.Errorf("consents granted: %v, want only other", granted)
	}
	r.waitFor("a topic", func() bool { return len(r.api.Topics(g.ID)) == 1 })
	topic := r.api.Topics(g.ID)[0]
	if !strings.Contains(topic.Name, "#1") || !strings.Contains(topic.Name, "Tư vấn, hỗ trợ khác") || strings.Contains(topic.Name, "Hà") {
		t.Errorf("topic title %q: want the number and the kind, no name", topic.Name)
	}
	// The topic's card is short; what help is asked for is in the full
	// profile, one audited press away (issue 16, item 1).
	var card botapitest.Message
	r.waitFor("the case card", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if strings.Contains(m.Text, "Tên gọi: Hà") {
				card = m
				return true
			}
		}
		return false
	})
	before := len(r.botMessages(admin.ID))
	id, err := r.api.PressButton(admin, card, "k:profile:1")
	if err != nil {
		t.Fatal(err)
	}
	r.waitSeen(id)
	msgs := r.waitBot(admin.ID, before+1)
	if full := msgs[len(msgs)-1].Text; !strings.Contains(full, "Cần giúp: ⚖️ Trợ giúp pháp lý") || !strings.Contains(full, "Lý do: Tôi cần hỏi về giấy tờ nhà") {
		t.Errorf("the full profile does not say what help is asked for: %q", full)
	}
}
