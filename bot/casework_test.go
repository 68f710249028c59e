package bot_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/store"
)

// A returnee finishes a flow → a topic with the card appears → a
// counsellor takes it and answers → the returnee gets it signed with the
// display name and replies → the reply lands in the topic; a note never
// reaches the returnee; closing sends the notice and the rating question,
// and the rating is stored.
func TestCounsellorHandoff(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	counsellor := r.staffAccount(store.RoleCounsellor, nil, "Chị Lan")
	g := r.staffGroup(admin)

	u := r.api.NewUser("Bình", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:counsel", "Trần Văn <Bình>")
	d.say("Tôi cần hỏi về giấy tờ & việc làm")
	r.waitText(u.ID, "số 1")

	// The topic: neutral title, the short card (first name) and Take/Close.
	r.waitFor("a topic", func() bool { return len(r.api.Topics(g.ID)) == 1 })
	topic := r.api.Topics(g.ID)[0]
	if !strings.Contains(topic.Name, "#1") || strings.Contains(topic.Name, "Bình") {
		t.Fatalf("topic title %q: want the case number and no name", topic.Name)
	}
	var card botapitest.Message
	r.waitFor("the case card", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if m.Markup != nil && strings.Contains(m.Text, "Tên gọi: <Bình>") {
				card = m
				return true
			}
		}
		return false
	})
	if !strings.Contains(card.RawText, "&lt;Bình&gt;") {
		t.Errorf("name not escaped in the card: %q", card.RawText)
	}

	// Take, then answer in the topic.
	if _, err := r.api.PressButton(counsellor, card, "k:take:1"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the case assigned", func() bool { return caseStatus(r, 1) == "assigned" })
	// The full profile is a button away, in the counsellor's private chat.
	if strings.Contains(card.Text, "Trần Văn") {
		t.Errorf("the topic card shows the full name: %q", card.Text)
	}
	if _, err := r.api.PressButton(counsellor, card, "k:profile:1"); err != nil {
		t.Fatal(err)
	}
	if full := r.waitText(counsellor.ID, "Lý do: Tôi cần hỏi về giấy tờ & việc làm"); !strings.Contains(full.Text, "Trần Văn <Bình>") {
		t.Errorf("the full profile: %q", full.Text)
	}
	r.waitFor("the card showing who took it", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if m.ID == card.ID {
				return strings.Contains(m.Text, "đang xử lý") && m.Markup != nil &&
					strings.Contains(m.Markup.InlineKeyboard[0][0].Text, "Chị Lan")
			}
		}
		return false
	})
	r.waitSeen(r.api.SendTextIn(g.ID, topic.ThreadID, counsellor, "! ghi chú nội bộ: đã gọi điện"))
	r.waitSeen(r.api.SendTextIn(g.ID, topic.ThreadID, counsellor, "Chào anh Bình, chị sẽ giúp anh."))
	got := r.waitText(u.ID, "chị sẽ giúp anh")
	if !strings.Contains(got.Text, "Chị Lan") {
		t.Fatalf("answer not signed with the display name: %q", got.Text)
	}
	for _, m := range r.botMessages(u.ID) {
		if strings.Contains(m.Text, "ghi chú nội bộ") {
			t.Fatal("an internal note reached the returnee")
		}
	}
	if got.FromID == counsellor.ID {
		t.Fatal("the returnee saw the counsellor's own account")
	}

	// The returnee's answer lands in the topic.
	d.say("Cảm ơn chị")
	r.waitFor("the reply in the topic", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if strings.Contains(m.Text, "Cảm ơn chị") {
				return true
			}
		}
		return false
	})

	// Close with an outcome: notice, rating question, rating stored.
	if _, err := r.api.PressButton(counsellor, card, "k:close:1"); err != nil {
		t.Fatal(err)
	}
	var outcomes botapitest.Message
	r.waitFor("the outcome buttons", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if m.Markup != nil && strings.Contains(m.Text, "Đóng hồ sơ #1") {
				outcomes = m
				return true
			}
		}
		return false
	})
	if _, err := r.api.PressButton(counsellor, outcomes, "k:out:1:job_found"); err != nil {
		t.Fatal(err)
	}
	r.waitText(u.ID, "đã hoàn tất")
	rq := r.waitText(u.ID, "giúp ích")
	if _, err := r.api.PressButton(u, rq, "k:rate:1:5"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the rating", func() bool {
		var n int
		_ = r.x.Get(&n, `SELECT coalesce(rating, 0) FROM cases WHERE id = 1`)
		return n == 5
	})
	var c struct {
		Status   string    `db:"status"`
		Outcome  string    `db:"outcome"`
		FirstRes time.Time `db:"first_response_at"`
	}
	if err := r.x.Get(&c, `SELECT status, outcome, first_response_at FROM cases WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if c.Status != "closed" || c.Outcome != "job_found" || c.FirstRes.IsZero() {
		t.Fatalf("case after close: %+v", c)
	}
	r.waitFor("the topic closed", func() bool { return r.api.Topics(g.ID)[0].Closed })

	// Every staff action on the case is in the audit log.
	var actions []string
	if err := r.x.Select(&actions, `SELECT action FROM audit_log WHERE case_id = 1 ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"card_posted", "view", "take", "note", "message", "close"} {
		if !contains(actions, want) {
			t.Errorf("audit log of case 1 lacks %q: %v", want, actions)
		}
	}

	// Writing again within 14 days reopens the case for the same counsellor.
	d.say("Em lại cần hỏi thêm")
	r.waitFor("the case reopened", func() bool { return caseStatus(r, 1) == "assigned" })
	r.waitFor("the topic reopened", func() bool { return !r.api.Topics(g.ID)[0].Closed })
}

func caseStatus(r *rig, id int64) string {
	var s string
	_ = r.x.Get(&s, `SELECT status FROM cases WHERE id = $1`, id)
	return s
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// A non-staff user's /queue gets the unknown-command answer, and a forged
// Take does nothing; both are logged.
func TestStaffCommandsRefusedToOthers(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	g := r.staffGroup(admin)
	u := r.api.NewUser("Nam", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:counsel", "Lê Nam")
	d.say("Xin tư vấn")
	r.waitFor("a topic", func() bool { return len(r.api.Topics(g.ID)) == 1 })
	var card botapitest.Message
	r.waitFor("the card", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, r.api.Topics(g.ID)[0].ThreadID) {
			if m.Markup != nil {
				card = m
				return true
			}
		}
		return false
	})

	stranger := r.api.NewUser("Lạ", "vi")
	r.waitSeen(r.api.SendText(stranger, "/queue"))
	unknown := r.cat.T("vi", "unknown_command", nil)
	msgs := r.waitBot(stranger.ID, 1)
	if msgs[0].Text != unknown {
		t.Fatalf("non-staff /queue answered %q, want the unknown-command answer %q", msgs[0].Text, unknown)
	}
	// The returnee too, and with a forged Take on their own case.
	r.waitSeen(r.api.SendText(u, "/take 1"))
	id, err := r.api.InjectUpdate(callbackUpdate(stranger, card, "k:take:1"))
	if err != nil {
		t.Fatal(err)
	}
	r.waitSeen(id)
	id, err = r.api.InjectUpdate(callbackUpdate(u, card, "k:out:1:job_found"))
	if err != nil {
		t.Fatal(err)
	}
	r.waitSeen(id)
	if s := caseStatus(r, 1); s != "new" {
		t.Fatalf("case status %q after forged actions, want new", s)
	}
	var denied int
	if err := r.x.Get(&denied, `SELECT count(*) FROM audit_log WHERE staff_id IS NULL AND action LIKE 'denied%'`); err != nil {
		t.Fatal(err)
	}
	if denied < 4 {
		var rows []string
		_ = r.x.Select(&rows, `SELECT action || ' ' || coalesce(telegram_user_id::text, '') || ' ' || detail FROM audit_log ORDER BY id`)
		t.Log(rows)
		t.Fatalf("%d refused attempts logged, want 4", denied)
	}
}

// A counsellor who leaves (revoked on the server or at the web desk) does
// not take their open cases with them: each goes back to the queue, the
// topic is told, the card offers Take again, and a colleague takes it.
func TestRevokedCounsellorsCasesReturnToQueue(t *testing.T) {
	sweep := func(o *bot.Options, _ *[]botapitest.Option) { o.SweepEvery = 200 * time.Millisecond }
	r := newRig(t, withFastLimits(), sweep)
	r.loadCommunes()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	lan := r.staffAccount(store.RoleCounsellor, nil, "Chị Lan")
	minh := r.staffAccount(store.RoleCounsellor, nil, "Anh Minh")
	g := r.staffGroup(admin)

	u := r.api.NewUser("Bình", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:counsel", "Trần Văn Bình")
	d.say("Tôi cần hỏi về việc làm")
	r.waitText(u.ID, "số 1")
	r.waitFor("a topic", func() bool { return len(r.api.Topics(g.ID)) == 1 })
	topic := r.api.Topics(g.ID)[0]
	card := func() (botapitest.Message, bool) {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if m.Markup != nil && strings.Contains(m.Text, "Tên gọi") {
				return m, true
			}
		}
		return botapitest.Message{}, false
	}
	r.waitFor("the case card", func() bool { _, ok := card(); return ok })
	c, _ := card()
	if _, err := r.api.PressButton(lan, c, "k:take:1"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the case taken by Lan", func() bool { return caseStatus(r, 1) == "assigned" })

	var lanID int64
	if err := r.x.Get(&lanID, `SELECT id FROM staff WHERE telegram_user_id = $1`, lan.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.db.RevokeStaff(r.ctx, lanID); err != nil {
		t.Fatal(err)
	}
	var assignee sql.NullInt64
	if err := r.x.Get(&assignee, `SELECT assignee_staff_id FROM cases WHERE id = 1`); err != nil || assignee.Valid || caseStatus(r, 1) != "new" {
		t.Fatalf("after revocation: status %q, assignee %v (%v); want new and none", caseStatus(r, 1), assignee, err)
	}
	r.waitFor("the topic told", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if strings.Contains(m.Text, "trở lại hàng chờ") {
				return true
			}
		}
		return false
	})
	r.waitFor("the card offering Take again", func() bool {
		m, ok := card()
		return ok && !strings.Contains(m.Markup.InlineKeyboard[0][0].Text, "Chị Lan")
	})
	c, _ = card()
	if _, err := r.api.PressButton(minh, c, "k:take:1"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the case taken by Minh", func() bool {
		var name string
		_ = r.x.Get(&name, `SELECT s.display_name FROM cases c JOIN staff s ON s.id = c.assignee_staff_id WHERE c.id = 1`)
		return name == "Anh Minh"
	})
	if v := r.api.TakeViolations(); len(v) > 0 {
		t.Errorf("Bot API violations: %v", v)
	}
}
