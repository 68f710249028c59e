package bot_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/casework"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/desk"
	"reentrybot/desk/desktest"
	"reentrybot/store"
)

// What a counsellor does at the web desk shows in the case's topic,
// signed "(web) Name", in order; what a counsellor does in the topic
// shows on the desk's case page.
func TestDeskWorkShowsInTelegram(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	lan := r.staffAccount(store.RoleCounsellor, nil, "Chị Lan")
	g := r.staffGroup(admin)

	base := r.deskServer(desk.Options{})
	web := desktest.Member(t, base, r.deskInvite("Anh Minh"), "minh", r.db.Now())

	u := r.api.NewUser("Bình", "vi")
	r.driver(u).consentAndProfile("m:counsel", "Trần Văn Bình")
	r.driver(u).say("Tôi cần hỏi về việc làm")
	var topic botapitest.Topic
	r.waitFor("the case's topic", func() bool {
		for _, tp := range r.api.Topics(g.ID) {
			topic = tp
			return true
		}
		return false
	})
	topicHas := func(what, text string) {
		t.Helper()
		r.waitFor(what, func() bool {
			for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
				if strings.Contains(m.Text, text) {
					return true
				}
			}
			return false
		})
	}
	post := func(action string, form url.Values) {
		t.Helper()
		form.Set("csrf", web.CSRF)
		if st, body, _ := web.Post("/case/1/"+action, form); st != http.StatusSeeOther {
			t.Fatalf("desk %s: %d\n%s", action, st, body)
		}
	}

	post("take", url.Values{})
	topicHas("the web take", "(web) Anh Minh đã nhận hồ sơ")
	post("answer", url.Values{"text": {"Chào anh Bình, thứ Hai có phiên việc làm <ở xã>."}})
	topicHas("the web answer", "(web) Anh Minh trả lời người dùng:\nChào anh Bình, thứ Hai có phiên việc làm <ở xã>.")
	r.waitText(u.ID, "thứ Hai có phiên việc làm")
	post("note", url.Values{"text": {"Anh Bình biết lái xe nâng"}})
	topicHas("the web note", "(web) Anh Minh, ghi chú nội bộ:\nAnh Bình biết lái xe nâng")

	// The other way: Chị Lan writes in the topic; the desk shows it.
	r.waitSeen(r.api.SendTextIn(g.ID, topic.ThreadID, lan, "Chị Lan đây, anh cần gì thêm không?"))
	r.waitText(u.ID, "Chị Lan đây")
	if _, body, _ := web.Get("/case/1"); !strings.Contains(body, "Chị Lan đây, anh cần gì thêm không?") {
		t.Errorf("the desk does not show the topic's answer:\n%s", body)
	}

	post("close", url.Values{"outcome": {"job_found"}})
	topicHas("the web close", "((web) Anh Minh)")
	r.waitFor("the topic closed", func() bool { return r.api.Topics(g.ID)[0].Closed })
	post("reopen", url.Values{"text": {"Anh Bình gọi lại"}})
	topicHas("the web reopen", "(web) Anh Minh mở lại hồ sơ #1: Anh Bình gọi lại")
	if r.api.Topics(g.ID)[0].Closed {
		t.Errorf("the topic stays closed after the desk reopened the case")
	}

	// Everything posted once, in the order done.
	var texts []string
	for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
		if strings.Contains(m.Text, "(web)") {
			texts = append(texts, strings.SplitN(m.Text, "\n", 2)[0])
		}
	}
	if len(texts) != 5 || !strings.Contains(texts[0], "nhận") || !strings.Contains(texts[1], "trả lời") ||
		!strings.Contains(texts[2], "ghi chú") || !strings.Contains(texts[3], "đóng") || !strings.Contains(texts[4], "mở lại") {
		t.Errorf("the desk's posts in the topic:\n%s", strings.Join(texts, "\n"))
	}
	r.waitFor("every desk post recorded as posted", func() bool {
		var pending int
		err := r.x.Get(&pending, `SELECT count(*) FROM desk_mirror WHERE posted_at IS NULL`)
		return err == nil && pending == 0
	})
}

// deskServer serves the web desk wired to the bot as app does (the
// relay is told of each change); opt adds to that.
func (r *rig) deskServer(opt desk.Options) string {
	r.t.Helper()
	opt.HashInvite, opt.CaseChanged = bot.HashInviteCode, func(id int64) { casework.DeskChanged(r.bot, id) }
	d, err := desk.New(r.db, r.cat, opt, testLogger())
	if err != nil {
		r.t.Fatal(err)
	}
	srv := httptest.NewServer(d.Handler())
	r.t.Cleanup(srv.Close)
	return srv.URL
}

// deskInvite makes a counsellor's invite for the desk, province-wide.
func (r *rig) deskInvite(name string) string {
	r.t.Helper()
	code, hash := bot.NewInviteCode()
	if _, err := r.db.CreateInvite(r.ctx, store.RoleCounsellor, nil, name, hash, clock.System().Add(time.Hour)); err != nil {
		r.t.Fatal(err)
	}
	return code
}
