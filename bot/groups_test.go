package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/store"
)

// calls counts the successful calls of method in chat.
func (r *rig) calls(method string, chat int64) int {
	n := 0
	for _, c := range r.api.CallLog() {
		if c.Method == method && c.ChatID == chat && c.Status == 200 {
			n++
		}
	}
	return n
}

// waitStatus waits until u's status in the group is want.
func (r *rig) waitStatus(chat int64, u botapitest.User, want string) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%s %s in %d", u.FirstName, want, chat), func() bool { return r.api.MemberStatus(chat, u.ID) == want })
}

func (r *rig) inject(u models.Update) int64 {
	r.t.Helper()
	id, err := r.api.InjectUpdate(u)
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// askCounsel walks a new person through the "meet a counsellor" path from
// commune code (found by typing search) and waits for their case number.
func (r *rig) askCounsel(name, search, code, phone string) (botapitest.User, *driver) {
	r.t.Helper()
	u := r.api.NewUser(strings.Fields(name)[len(strings.Fields(name))-1], "vi")
	d := r.driver(u)
	d.say("/start")
	d.tap("agree_all")
	d.tap("m:counsel")
	d.say(name)
	d.share(phone)
	d.say(search)
	d.tap("c:" + code)
	d.say("Em cần tư vấn việc làm")
	r.waitText(u.ID, "số ")
	return u, d
}

// Staff groups by scope (issue 16, item 1), end to end: a group bound to
// commune A keeps only counsellors whose scope covers A (an officer and a
// counsellor of B are removed as they join), shows cases of A only, with a
// short card whose full profile is one audited button away; a revoked
// counsellor is removed by the sweep.
func TestStaffGroupsByScope(t *testing.T) {
	const a, b = "07840", "07228" // Hiệp Hòa, Đa Mai
	sweep := func(o *bot.Options, _ *[]botapitest.Option) { o.SweepEvery = 200 * time.Millisecond }
	r := newRig(t, withFastLimits(), sweep)
	r.loadSamples()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	lan := r.staffAccount(store.RoleCounsellor, []string{a}, "Chị Lan")
	minh := r.staffAccount(store.RoleCounsellor, []string{b}, "Anh Minh")
	officer := r.staffAccount(store.RoleOfficer, []string{a}, "Cán bộ xã")
	stranger := r.api.NewUser("Người lạ", "vi")

	g := r.api.NewGroup("Tổ tư vấn Hiệp Hòa", true)
	r.api.Join(g.ID, admin, botapitest.StatusAdmin)
	r.waitSeen(r.api.SendTextIn(g.ID, 0, admin, "/setup 99999"))
	r.waitText(g.ID, "Không có xã/phường mã: 99999")
	r.waitSeen(r.api.SendTextIn(g.ID, 0, lan, "/setup "+a)) // not an admin
	r.waitSeen(r.api.SendTextIn(g.ID, 0, admin, "/setup "+a))
	r.waitText(g.ID, "Đã thiết lập nhóm làm việc cho: Hiệp Hòa")

	// Joining: the counsellor of A stays; the officer, the counsellor of B
	// and a stranger are taken out (ban, then unban: they may be invited
	// again), and the group is told each time.
	r.api.Join(g.ID, lan, botapitest.StatusMember)
	for _, u := range []botapitest.User{officer, minh, stranger} {
		r.api.Join(g.ID, u, botapitest.StatusMember)
		r.waitStatus(g.ID, u, botapitest.StatusLeft)
		r.waitText(g.ID, "Bot đã mời "+u.FirstName+" ra khỏi nhóm")
	}
	if bans, unbans := r.calls("banChatMember", g.ID), r.calls("unbanChatMember", g.ID); bans != 3 || unbans != 3 {
		t.Errorf("ban/unban calls: %d/%d, want 3/3", bans, unbans)
	}
	if s := r.api.MemberStatus(g.ID, lan.ID); s != botapitest.StatusMember {
		t.Errorf("the counsellor of A is %q", s)
	}
	// The "joined" service message is a second way to learn of a member.
	other := r.api.NewUser("Khách", "vi")
	joined := models.User{ID: other.ID, FirstName: other.FirstName}
	r.waitSeen(r.inject(models.Update{Message: &models.Message{
		ID: 9000, Date: int(clock.System().Unix()), From: &joined, NewChatMembers: []models.User{joined},
		Chat: models.Chat{ID: g.ID, Type: models.ChatTypeSupergroup, IsForum: true},
	}}))
	r.waitText(g.ID, "Bot đã mời Khách ra khỏi nhóm")
	if bans := r.calls("banChatMember", g.ID); bans != 4 {
		t.Errorf("ban calls after the service message: %d, want 4", bans)
	}

	// A case of A opens its topic here; a case of B does not.
	const nameA, nameB = "Trần Thị Bích Ngọc", "Lê Văn Hùng"
	r.askCounsel(nameA, "hiep hoa", a, "+84 912 345 678")
	r.waitFor("a topic", func() bool { return len(r.api.Topics(g.ID)) == 1 })
	topic := r.api.Topics(g.ID)[0]
	var card botapitest.Message
	r.waitFor("the card", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if strings.Contains(m.Text, "Hồ sơ #1") {
				card = m
				return true
			}
		}
		return false
	})
	if !strings.Contains(card.Text, "Tên gọi: Ngọc") || !strings.Contains(card.Text, "Hiệp Hòa") ||
		strings.Contains(card.Text, "Trần") || strings.Contains(card.Text, "912") || strings.Contains(card.Text, "1990") {
		t.Errorf("the topic card should show number, kind, commune and first name only: %q", card.Text)
	}
	r.askCounsel(nameB, "da mai", b, "+84 987 654 321")
	r.waitFor("case 2 stored", func() bool {
		var n int
		return r.x.Get(&n, `SELECT count(*) FROM cases WHERE commune_code = $1`, b) == nil && n == 1
	})
	time.Sleep(3 * r.opts.SweepEvery) // sweeps that would open a topic if a group took it
	if n := len(r.api.Topics(g.ID)); n != 1 {
		t.Errorf("the group has %d topics, want 1 (the case of B must not open here)", n)
	}
	for _, s := range r.api.StoredTexts()[g.ID] {
		if strings.Contains(s, "#2") || strings.Contains(s, "Hùng") || strings.Contains(s, "Đa Mai") {
			t.Errorf("the group of A holds something of the case of B: %q", s)
		}
	}

	// The full profile: one press, sent to the presser's private chat, audited.
	before := len(r.botMessages(lan.ID))
	id, err := r.api.PressButton(lan, card, "k:profile:1")
	if err != nil {
		t.Fatal(err)
	}
	r.waitSeen(id)
	msgs := r.waitBot(lan.ID, before+1)
	if full := msgs[len(msgs)-1].Text; !strings.Contains(full, nameA) || !strings.Contains(full, "912") {
		t.Errorf("the full profile in the private chat: %q", full)
	}
	log, err := r.db.AuditLog(r.ctx, store.AuditFilter{CaseID: 1})
	if err != nil {
		t.Fatal(err)
	}
	viewed := false
	for _, e := range log {
		viewed = viewed || e.Action == "view_profile" && e.StaffName.String == "Chị Lan" && e.TelegramUserID.Int64 == lan.ID
	}
	if !viewed {
		t.Errorf("no view_profile line for Chị Lan on case 1: %+v", log)
	}
	// Revocation (a command on the server) takes the counsellor out of
	// every group she is in, and of no other.
	g2 := r.api.NewGroup("Tổ tư vấn toàn tỉnh", true)
	r.waitSeen(r.api.SendTextIn(g2.ID, 0, admin, "/setup"))
	r.waitText(g2.ID, "toàn tỉnh")
	var staffID int64
	if err := r.x.Get(&staffID, `SELECT id FROM staff WHERE telegram_user_id = $1`, lan.ID); err != nil {
		t.Fatal(err)
	}
	bans := r.calls("banChatMember", g.ID)
	if err := r.db.RevokeStaff(r.ctx, staffID); err != nil {
		t.Fatal(err)
	}
	r.waitStatus(g.ID, lan, botapitest.StatusLeft)
	if n := r.calls("banChatMember", g.ID); n != bans+1 {
		t.Errorf("ban calls after revocation: %d, want %d", n, bans+1)
	}
	r.waitText(g.ID, "Bot đã mời Chị Lan ra khỏi nhóm")
	r.waitFor("the province group asked about her", func() bool { return r.calls("getChatMember", g2.ID) == 1 })
	if n := r.calls("banChatMember", g2.ID); n != 0 {
		t.Errorf("%d ban calls in a group she was never in", n)
	}
	time.Sleep(2 * r.opts.SweepEvery) // later sweeps do not ask again
	if n := r.calls("getChatMember", g2.ID); n != 1 {
		t.Errorf("getChatMember calls in the province group: %d, want 1", n)
	}
	for _, m := range r.botMessages(g2.ID) {
		if strings.Contains(m.Text, "Chị Lan") {
			t.Errorf("the province group is told of someone never in it: %q", m.Text)
		}
	}
	if v := r.api.TakeViolations(); len(v) > 0 {
		t.Errorf("Bot API violations: %v", v)
	}
}

// Erasure reaches the counsellors' private chats (issue 16, item 2): the
// card and the relayed messages a counsellor got privately are deleted
// after /delete, and the anonymous record's case has a new number.
func TestDeleteReachesPrivateChats(t *testing.T) {
	const a, b = "07840", "07228"
	sweep := func(o *bot.Options, _ *[]botapitest.Option) { o.SweepEvery = 200 * time.Millisecond }
	r := newRig(t, withFastLimits(), sweep)
	r.loadSamples()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	minh := r.staffAccount(store.RoleCounsellor, []string{b}, "Anh Minh")
	g := r.api.NewGroup("Tổ tư vấn Hiệp Hòa", true)
	r.waitSeen(r.api.SendTextIn(g.ID, 0, admin, "/setup "+a))
	r.waitText(g.ID, "Hiệp Hòa")

	const name, phone = "Lê Văn Hùng", "987654321"
	u, d := r.askCounsel(name, "da mai", b, "+84 987 654 321")
	// No group covers B: the counsellor of B works the case privately.
	r.waitSeen(r.api.SendText(minh, "/take 1"))
	r.waitText(minh.ID, name)
	d.say("Em là " + name + ", số 0" + phone)
	r.waitText(minh.ID, "số 0"+phone)
	r.waitFor("the card and the message recorded", func() bool {
		var posts int
		return r.x.Get(&posts, `SELECT count(*) FROM case_posts WHERE case_id = 1`) == nil && posts >= 2
	})

	d.say("/delete")
	d.tap("yes")
	r.waitText(u.ID, "Đã xóa thông tin của bạn")
	r.waitFor("every post about the person deleted", func() bool {
		var left int
		return r.x.Get(&left, `SELECT (SELECT count(*) FROM case_posts) + (SELECT count(*) FROM chat_erasures)`) == nil && left == 0
	})
	// No chat the server stores holds anything of them, their own chat
	// with the bot included (cleared up to the erasure).
	for chat, texts := range r.api.StoredTexts() {
		for _, s := range texts {
			if strings.Contains(s, name) || strings.Contains(s, phone) || strings.Contains(s, "Hùng") {
				t.Errorf("chat %d still holds %q", chat, s)
			}
		}
	}
	if found := scanFor(t, r.x, name, phone); len(found) > 0 {
		t.Errorf("after /delete the database still holds the person: %v", found)
	}
	var ids []int64
	if err := r.x.Select(&ids, `SELECT id FROM cases ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] == 1 {
		t.Errorf("the anonymous case keeps number 1 (or is gone): %v", ids)
	}
	var audited int
	if err := r.x.Get(&audited, `SELECT count(*) FROM audit_log WHERE case_id = 1`); err != nil || audited != 0 {
		t.Errorf("%d audit lines still name case 1 (%v)", audited, err)
	}
}
