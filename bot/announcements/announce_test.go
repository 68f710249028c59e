package announcements_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/store"
)

// fastBroadcast paces announcements well above the tests' needs and polls
// often, so that the tests take seconds.
func fastBroadcast() bottest.Option {
	return bottest.WithBroadcast(bot.BroadcastOptions{Rate: 300, PerChatRate: 50, StatusEvery: 200 * time.Millisecond, PollEvery: 20 * time.Millisecond})
}

// An officer announces to a commune of 200 returnees: exactly the eligible
// ones receive it, once; the blocked are found unreachable; the status
// message ends with the right figures. Then one recipient turns
// announcements off with the button and back on with /start and Có.
func TestAnnounceEndToEnd(t *testing.T) {
	r := bottest.New(t, bottest.WithFastLimits(), fastBroadcast(), daytime())
	r.LoadCommunes()

	var ps []returnee
	for i := range 200 {
		lang := "vi"
		if i%7 == 0 {
			lang = "en"
		}
		p := returnee{user: r.API.NewUser(fmt.Sprintf("Người %d", i), lang), commune: hiepHoa, consents: []bool{true}, kinds: []string{"job"}}
		switch i % 10 {
		case 0:
			p.off = true // sent /stop earlier
		case 1:
			p.consents = nil // never agreed to announcements
		case 2:
			p.consents = []bool{true, false} // agreed, then withdrew
		case 3:
			r.API.Block(p.user) // blocked the bot; the bot does not know yet
		case 4:
			p.unreachable = i < 50 // known unreachable
		}
		ps = append(ps, p)
	}
	for i := range 30 {
		ps = append(ps, returnee{user: r.API.NewUser(fmt.Sprintf("Khác %d", i), "vi"), commune: kinhBac, consents: []bool{true}})
	}
	seedReturnees(t, r.X, ps)
	dropPendingUpdates(t, r.API)
	r.Run()

	officer := r.StaffAccount(store.RoleOfficer, []string{hiepHoa}, "UBND xã Hiệp Hoà")
	d := r.Driver(officer)
	d.Say("/announce")
	r.WaitText(officer.ID, "Gửi nội dung thông báo")
	body := "Thứ Năm tuần sau, 8 giờ sáng: hội chợ việc làm <tại nhà văn hoá xã> & tư vấn học nghề miễn phí."
	d.Say(body)
	d.Tap("a:int:1:all")
	d.Tap("a:when:1:now")

	// The preview is exactly what a recipient gets, and the summary counts
	// the recipients.
	var eligible, blocked []returnee
	for i, p := range ps {
		if p.eligible(hiepHoa) {
			if i%10 == 3 {
				blocked = append(blocked, p)
			} else {
				eligible = append(eligible, p)
			}
		}
	}
	summary := r.WaitText(officer.ID, "Người nhận:")
	if want := fmt.Sprintf("Người nhận: %d người", len(eligible)+len(blocked)); !strings.Contains(summary.Text, want) {
		t.Fatalf("summary %q lacks %q", summary.Text, want)
	}
	preview := announceMsgs(r, officer.ID)
	if len(preview) != 1 || !strings.Contains(preview[0].RawText, "&lt;tại nhà văn hoá xã&gt; &amp;") {
		t.Fatalf("preview %+v", preview)
	}
	d.Tap("a:go:1")
	r.WaitText(officer.ID, "đã gửi xong:")

	// Exactly the eligible received it, once, as previewed.
	for _, p := range ps {
		got := announceMsgs(r, p.user.ID)
		want := 0
		if p.eligible(hiepHoa) && !slices.Contains(blockedRefs(blocked), fmt.Sprint(p.user.ID)) {
			want = 1
		}
		if len(got) != want {
			t.Fatalf("%s (commune %s, consents %v, off %v, unreachable %v): %d announcements, want %d",
				p.user.FirstName, p.commune, p.consents, p.off, p.unreachable, len(got), want)
		}
		if want == 1 && p.user.LanguageCode == "vi" && got[0].RawText != preview[0].RawText {
			t.Fatalf("recipient saw %q, preview was %q", got[0].RawText, preview[0].RawText)
		}
		if want == 1 && p.user.LanguageCode == "en" && got[0].Markup.InlineKeyboard[0][0].Text != "🔕 Stop announcements" {
			t.Fatalf("English recipient's button %q", got[0].Markup.InlineKeyboard[0][0].Text)
		}
	}
	for _, p := range blocked {
		var reachable bool
		if err := r.X.Get(&reachable, `SELECT reachable FROM people WHERE id = $1`, p.id); err != nil || reachable {
			t.Fatalf("blocked %s still reachable (%v)", p.user.FirstName, err)
		}
	}
	counts := r.DeliveryCounts(1)
	if counts["sent"] != len(eligible) || counts["unreachable"] != len(blocked) || len(counts) != 2 {
		t.Fatalf("deliveries %v, want %d sent and %d unreachable", counts, len(eligible), len(blocked))
	}
	st, ok := statusMsg(r, officer.ID, 1)
	if !ok {
		t.Fatal("no status message")
	}
	wantFig := fmt.Sprintf("Đã gửi: %d · Đang chờ: 0 · Không liên lạc được: %d · Lỗi: 0", len(eligible), len(blocked))
	if !strings.Contains(st.Text, wantFig) || !strings.Contains(st.Text, "100%") || !strings.Contains(st.Text, "đã gửi xong") {
		t.Fatalf("status message %q, want %q, 100%%, finished", st.Text, wantFig)
	}
	if st.Markup != nil {
		t.Fatal("the finished status message still has its Cancel button")
	}

	// /announcements lists it with its figures.
	d.Say("/announcements")
	list := r.WaitText(officer.ID, "Thông báo gần đây")
	if !strings.Contains(list.Text, fmt.Sprintf("Đã gửi %d/%d", len(eligible), len(eligible)+len(blocked))) {
		t.Fatalf("list %q", list.Text)
	}

	// The button under the announcement turns announcements off; /start
	// asks, and Có turns them back on.
	p := eligible[1]
	a := announceMsgs(r, p.user.ID)[0]
	r.WaitSeen(mustUpdate(r.API.PressButton(p.user, a, "n:stop")))
	r.WaitText(p.user.ID, "không nhận thông báo chung")
	if !r.AnnouncementsOff(p.id) {
		t.Fatal("stop button did not turn announcements off")
	}
	r.WaitSeen(r.API.SendText(p.user, "/start"))
	ask := r.WaitText(p.user.ID, "Nhận lại thông báo?")
	if !r.AnnouncementsOff(p.id) {
		t.Fatal("/start turned announcements back on without asking")
	}
	r.WaitSeen(mustUpdate(r.API.PressButton(p.user, ask, "n:on")))
	r.WaitText(p.user.ID, "Bạn sẽ nhận lại thông báo")
	if r.AnnouncementsOff(p.id) {
		t.Fatal("/start did not turn announcements back on")
	}
	q := eligible[2]
	r.WaitSeen(r.API.SendText(q.user, "/stop"))
	if !r.AnnouncementsOff(q.id) {
		t.Fatal("/stop did not turn announcements off")
	}
}

func blockedRefs(ps []returnee) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprint(p.user.ID))
	}
	return out
}

func mustUpdate(id int64, err error) int64 {
	if err != nil {
		panic(err)
	}
	return id
}

var _ = botapitest.User{}
