package bot_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/store"
)

// takenCase is a returnee's "other" case, taken by a counsellor in the
// staff group.
type takenCase struct {
	u, counsellor botapitest.User
	d             *driver
	g             botapitest.Chat
	topic         botapitest.Topic
}

func openTakenCase(t *testing.T, r *rig) takenCase {
	t.Helper()
	return openTakenCaseNamed(t, r, "Trần Bình")
}

func openTakenCaseNamed(t *testing.T, r *rig, name string) takenCase {
	t.Helper()
	r.loadCommunes()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	tc := takenCase{counsellor: r.staffAccount(store.RoleCounsellor, []string{"07840"}, "Chị Lan")}
	tc.g = r.staffGroup(admin)
	tc.u = r.api.NewUser("Bình", "vi")
	tc.d = r.driver(tc.u)
	tc.d.consentAndProfile("m:counsel", name)
	tc.d.say("Cần tư vấn")
	r.waitFor("a topic", func() bool { return len(r.api.Topics(tc.g.ID)) == 1 })
	tc.topic = r.api.Topics(tc.g.ID)[0]
	r.waitFor("the card recorded", func() bool {
		var n int
		_ = r.x.Get(&n, `SELECT count(*) FROM cases WHERE id = 1 AND topic_card_msg_id IS NOT NULL`)
		return n == 1
	})
	r.waitSeen(r.api.SendTextIn(tc.g.ID, tc.topic.ThreadID, tc.counsellor, "/take"))
	r.waitFor("the case assigned", func() bool { return caseStatus(r, 1) == "assigned" })
	return tc
}

func topicTexts(r *rig, tc takenCase) []string {
	var out []string
	for _, m := range r.api.TopicMessages(tc.g.ID, tc.topic.ThreadID) {
		out = append(out, m.Text)
	}
	return out
}

// 60 returnee messages in one minute all reach the topic, in order, none
// dropped, and every 429 of the group limit is honoured.
func TestRelayBurstToGroup(t *testing.T) {
	// The server enforces Telegram's 20 messages a minute per group on a
	// fake clock that the bot's waits advance, so three minutes of pacing
	// take no real time. The bot's own group pacing is off: it must cope
	// with the server's 429s alone.
	fc := &fakeClock{t: workingTime()}
	r := newRig(t, withFastLimits(), withServer(botapitest.WithClock(fc.Now), botapitest.WithLimits(botapitest.Limits{
		Overall: 1000, PerChat: 1000, PerChatBurst: 100, PerGroupPerMinute: 20,
	})), withClock(fc.Now), withSleep(fc.Sleep))
	tc := openTakenCase(t, r)
	for i := range 60 {
		r.api.SendText(tc.u, "tin số "+strconv.Itoa(i))
	}
	// Counted by their text: a notice in the topic must not end the wait
	// before the last of them is there.
	r.waitFor("60 messages in the topic", func() bool {
		n := 0
		for _, text := range topicTexts(r, tc) {
			if strings.HasPrefix(text, "💬 tin số ") {
				n++
			}
		}
		return n >= 60
	})
	next := 0
	for _, text := range topicTexts(r, tc) {
		if text == "💬 tin số "+strconv.Itoa(next) {
			next++
		}
	}
	if next != 60 {
		t.Fatalf("only %d of 60 messages arrived in order", next)
	}
	if r.api.TooManyRequests() == 0 {
		t.Fatal("the burst never met the group limit: the test proves nothing")
	}
	if n := r.api.EarlyRetries(); n != 0 {
		t.Fatalf("%d retries came before retry_after", n)
	}
	// The last send commits just after the server has it.
	r.waitFor("no relay pending", func() bool {
		var pending int
		err := r.x.Get(&pending, `SELECT count(*) FROM case_events WHERE relay_to IS NOT NULL AND relayed_at IS NULL`)
		return err == nil && pending == 0
	})
}

// fakeClock moves only when someone sleeps on it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// Friday 14:00 in Hà Nội.
func workingTime() time.Time { return time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC) }

// Outside working hours a returnee is told once per off-duty period when
// to expect an answer.
func TestOffHoursNotice(t *testing.T) {
	var mu sync.Mutex
	now := workingTime()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	r := newRig(t, withFastLimits(), withClock(clock))
	tc := openTakenCase(t, r)
	notices := func() int {
		n := 0
		for _, m := range r.botMessages(tc.u.ID) {
			if strings.Contains(m.Text, "ngoài giờ làm việc") {
				n++
			}
		}
		return n
	}
	tc.d.say("trong giờ")
	if notices() != 0 {
		t.Fatal("notice during working hours")
	}
	set(time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC)) // Friday 20:00 local
	tc.d.say("buổi tối")
	r.waitText(tc.u.ID, "thứ Hai")
	tc.d.say("tối nữa")
	set(time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)) // Saturday 10:00 local: same off-duty period
	tc.d.say("sáng thứ Bảy")
	r.waitFor("messages relayed", func() bool { return len(topicTexts(r, tc)) >= 5 })
	if n := notices(); n != 1 {
		t.Fatalf("%d notices in one off-duty period, want 1", n)
	}
	set(time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)) // Monday 18:00 local: a new evening
	tc.d.say("tối thứ Hai")
	r.waitFor("a second notice", func() bool { return notices() == 2 })
}

// When the returnee has blocked the bot, the case's topic says so.
func TestBlockedReturneeShownInTopic(t *testing.T) {
	r := newRig(t, withFastLimits())
	tc := openTakenCase(t, r)
	r.api.Block(tc.u)
	r.waitSeen(r.api.SendTextIn(tc.g.ID, tc.topic.ThreadID, tc.counsellor, "Anh còn cần giúp không?"))
	r.waitFor("the topic told", func() bool {
		for _, s := range topicTexts(r, tc) {
			if strings.Contains(s, "chặn bot") {
				return true
			}
		}
		return false
	})
}

// Without the staff group: /queue, /take N, answers from the private
// chat until /done, and the returnee's replies come back there.
func TestPrivateTakeWithoutGroup(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	counsellor := r.staffAccount(store.RoleCounsellor, nil, "Anh Minh")
	officer := r.staffAccount(store.RoleOfficer, []string{"07840"}, "Cán bộ xã")
	other := r.staffAccount(store.RoleCounsellor, []string{"07210"}, "Chị Xa")
	u := r.api.NewUser("Hải", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:counsel", "Phạm Hải")
	d.say("Em cần việc làm gấp")
	r.waitText(u.ID, "số 1")
	d.say("Em viết thêm trước khi ai nhận")

	r.waitSeen(r.api.SendText(counsellor, "/queue"))
	r.waitText(counsellor.ID, "#1 · Tư vấn, hỗ trợ khác · Hiệp Hòa")
	r.waitSeen(r.api.SendText(officer, "/queue"))
	r.waitText(officer.ID, "không xem nội dung hồ sơ")
	r.waitSeen(r.api.SendText(other, "/take 1"))
	r.waitText(other.ID, "Không có hồ sơ #1")

	r.waitSeen(r.api.SendText(counsellor, "/take 1"))
	r.waitText(counsellor.ID, "Phạm Hải")                       // the card
	r.waitText(counsellor.ID, "Em viết thêm trước khi ai nhận") // held until someone took it
	r.waitSeen(r.api.SendText(counsellor, "Chào em, anh là Minh."))
	got := r.waitText(u.ID, "anh là Minh")
	if !strings.Contains(got.Text, "Anh Minh") {
		t.Fatalf("not signed: %q", got.Text)
	}
	d.say("Dạ em chào anh")
	r.waitText(counsellor.ID, "Dạ em chào anh")
	r.waitSeen(r.api.SendText(counsellor, "/mine"))
	r.waitText(counsellor.ID, "Hồ sơ của bạn (1)")
	r.waitSeen(r.api.SendText(counsellor, "/done"))
	r.waitSeen(r.api.SendText(counsellor, "tin này không gửi cho ai"))
	r.waitText(counsellor.ID, "chưa chọn hồ sơ")
	for _, m := range r.botMessages(u.ID) {
		if strings.Contains(m.Text, "không gửi cho ai") {
			t.Fatal("a message after /done reached the returnee")
		}
	}
	var denied int
	if err := r.x.Get(&denied, `SELECT count(*) FROM audit_log WHERE action = 'denied_view' AND case_id = 1`); err != nil || denied != 1 {
		t.Fatalf("out-of-scope /take not logged: %d %v", denied, err)
	}
	_ = bot.InvitePrefix
}

// Writing more than 14 days after the close opens a new case instead of
// reopening the old one.
func TestLateMessageOpensNewCase(t *testing.T) {
	var mu sync.Mutex
	now := workingTime()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	r := newRig(t, withFastLimits(), withClock(clock))
	tc := openTakenCase(t, r)
	r.waitSeen(r.api.SendTextIn(tc.g.ID, tc.topic.ThreadID, tc.counsellor, "/close"))
	var outcomes botapitest.Message
	r.waitFor("the outcome buttons", func() bool {
		for _, m := range r.api.TopicMessages(tc.g.ID, tc.topic.ThreadID) {
			if m.Markup != nil && strings.Contains(m.Text, "Đóng hồ sơ #1") {
				outcomes = m
				return true
			}
		}
		return false
	})
	if _, err := r.api.PressButton(tc.counsellor, outcomes, "k:out:1:no_longer_needed"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("case closed", func() bool { return caseStatus(r, 1) == "closed" })
	mu.Lock()
	now = now.Add(15 * 24 * time.Hour)
	mu.Unlock()
	tc.d.say("Em lại cần tìm việc")
	r.waitText(tc.u.ID, "yêu cầu số 2")
	if caseStatus(r, 1) != "closed" || caseStatus(r, 2) != "new" {
		t.Fatalf("case 1 %s, case 2 %s", caseStatus(r, 1), caseStatus(r, 2))
	}
	r.waitFor("a second topic", func() bool { return len(r.api.Topics(tc.g.ID)) == 2 })
}
