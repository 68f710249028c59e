package announcements_test

import (
	"testing"

	"reentrybot/bot/bottest"
)

// Issue 16, item 5: after /stop, /start (also Telegram's "Restart") only
// asks whether announcements should come again; none arrives until the
// person answers Có.
func TestStopThenStartAsksFirst(t *testing.T) {
	clk := bottest.DayClock()
	r := bottest.New(t, bottest.WithFastLimits(), fastBroadcast(), bottest.WithClock(clk.Now))
	r.LoadCommunes()
	ps := eligibleReturnees(r.API, 2, hiepHoa)
	seedReturnees(t, r.X, ps)
	p, control := ps[0], ps[1]
	officer := r.API.NewUser("Cán bộ", "vi")
	staff := officerRow(t, r.X, officer, hiepHoa)
	dropPendingUpdates(t, r.API)
	r.Run()

	d := r.Driver(p.user)
	d.Say("/stop")
	r.WaitText(p.user.ID, "không nhận thông báo chung")
	d.Say("/start")
	r.WaitText(p.user.ID, "Nhận lại thông báo?")
	if !r.AnnouncementsOff(p.id) {
		t.Fatal("/start turned announcements back on without asking")
	}

	// announce sends one to Hiệp Hoà, waits for its sent deliveries, and
	// counts what each of the two received.
	announce := func(body string, sent int) map[int64]int {
		id := scheduleBroadcast(t, r.DB, staff, officer.ID, body, clk.Now(), hiepHoa)
		r.WaitFor(body+" delivered", func() bool { return sentCount(t, r.X, id) == sent })
		return receivedBy(r, p, control)
	}
	// An announcement now reaches the control person, not p.
	if got := announce("Hội chợ việc làm thứ Năm.", 1); got[p.user.ID] != 0 || got[control.user.ID] != 1 {
		t.Fatalf("announcements received before the answer: %v", got)
	}

	d.Tap("on")
	r.WaitText(p.user.ID, "Bạn sẽ nhận lại thông báo")
	if r.AnnouncementsOff(p.id) {
		t.Fatal("Có did not turn announcements back on")
	}
	if got := announce("Khoá học hàn điện mới.", 2); got[p.user.ID] != 1 || got[control.user.ID] != 2 {
		t.Fatalf("announcements received after the answer: %v", got)
	}

	// Không leaves them off.
	d.Say("/stop")
	d.Say("/start")
	d.Tap("off")
	r.WaitText(p.user.ID, "Thông báo chung vẫn tắt")
	if !r.AnnouncementsOff(p.id) {
		t.Fatal("Không turned announcements on")
	}
}

// receivedBy counts the announcements (messages with the stop button)
// each person got.
func receivedBy(r *bottest.Rig, ps ...returnee) map[int64]int {
	got := map[int64]int{}
	for _, p := range ps {
		got[p.user.ID] = len(announceMsgs(r, p.user.ID))
	}
	return got
}
