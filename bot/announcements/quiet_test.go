package announcements_test

import (
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
)

// Quiet hours on a fake clock: a broadcast started at 20:59 that cannot
// finish by 21:00 pauses, says so in its status message, and resumes at
// 07:00; nothing is delivered in between.
func TestAnnounceQuietHours(t *testing.T) {
	start := bottest.Today(20, 59, 0)
	clk := bottest.NewClock(start)
	r := bottest.New(t, bottest.WithFastLimits(), bottest.WithClock(clk.Now),
		bottest.WithBroadcast(bot.BroadcastOptions{Rate: 50, PollEvery: 20 * time.Millisecond, StatusEvery: 100 * time.Millisecond}))
	officer := r.API.NewUser("Cán bộ", "vi")
	staff := officerRow(t, r.X, officer, hiepHoa)
	ps := eligibleReturnees(r.API, 80, hiepHoa)
	seedReturnees(t, r.X, ps)
	id := scheduleBroadcast(t, r.DB, staff, officer.ID, "Hội chợ việc làm sáng thứ Năm.", start, hiepHoa)
	r.Run()

	// Once it is under way, the clock moves to just before 21:00: however
	// slow the machine, the night comes in the middle of the broadcast.
	r.WaitFor("the first deliveries", func() bool { return sentCount(t, r.X, id) >= 5 })
	nine := bottest.Today(21, 0, 0)
	clk.Set(nine.Add(-200 * time.Millisecond))
	r.WaitFor("21:00 on the fake clock", func() bool { return !clk.Now().Before(nine.Add(300 * time.Millisecond)) })
	// Counted once the status says paused: sends already under way at
	// 21:00 (a loaded machine has a few) finish before it.
	r.WaitFor("the paused status", func() bool {
		m, ok := statusMsg(r, officer.ID, id)
		return ok && strings.Contains(m.Text, "tạm dừng ban đêm, tiếp tục lúc 07:00")
	})
	paused := sentCount(t, r.X, id)
	for { // the status follows the clock, not the workers: let their last sends land
		time.Sleep(300 * time.Millisecond)
		n := sentCount(t, r.X, id)
		if n == paused {
			break
		}
		paused = n
	}
	if paused == len(ps) {
		t.Fatalf("all %d sent by 21:00, want some left", len(ps))
	}
	time.Sleep(time.Second) // a second of night: nothing goes out
	if n := sentCount(t, r.X, id); n != paused {
		t.Fatalf("%d sent during quiet hours", n-paused)
	}

	morning := bottest.Today(7, 0, 0).AddDate(0, 0, 1)
	clk.Set(morning.Add(-time.Second))
	r.WaitFor("every delivery after 07:00", func() bool { return sentCount(t, r.X, id) == len(ps) })
	var night int
	if err := r.X.Get(&night, `SELECT count(*) FROM deliveries WHERE broadcast_id = $1 AND sent_at >= $2 AND sent_at < $3`,
		id, nine.Add(time.Second), morning); err != nil {
		t.Fatal(err)
	}
	if night != 0 {
		t.Fatalf("%d delivered at night", night)
	}
	r.WaitText(officer.ID, "đã gửi xong: 80/80")
}
