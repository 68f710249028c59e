package bot_test

import (
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
)

// Quiet hours on a fake clock: a broadcast started at 20:59 that cannot
// finish by 21:00 pauses, says so in its status message, and resumes at
// 07:00; nothing is delivered in between.
func TestAnnounceQuietHours(t *testing.T) {
	start := vnTime(20, 59, 0)
	clk := newClock(start)
	r := newRig(t, withFastLimits(), withClock(clk.Now),
		withBroadcast(bot.BroadcastOptions{Rate: 50, PollEvery: 20 * time.Millisecond, StatusEvery: 100 * time.Millisecond}))
	officer := r.api.NewUser("Cán bộ", "vi")
	staff := officerRow(t, r.x, officer, hiepHoa)
	ps := eligibleReturnees(r.api, 80, hiepHoa)
	seedReturnees(t, r.x, ps)
	id := scheduleBroadcast(t, r.db, staff, officer.ID, "Hội chợ việc làm sáng thứ Năm.", start, hiepHoa)
	r.run()

	// Once it is under way, the clock moves to just before 21:00: however
	// slow the machine, the night comes in the middle of the broadcast.
	r.waitFor("the first deliveries", func() bool { return sentCount(t, r.x, id) >= 5 })
	nine := vnTime(21, 0, 0)
	clk.Set(nine.Add(-200 * time.Millisecond))
	r.waitFor("21:00 on the fake clock", func() bool { return !clk.Now().Before(nine.Add(300 * time.Millisecond)) })
	// Counted once the status says paused: sends already under way at
	// 21:00 (a loaded machine has a few) finish before it.
	r.waitFor("the paused status", func() bool {
		m, ok := r.statusMsg(officer.ID, id)
		return ok && strings.Contains(m.Text, "tạm dừng ban đêm, tiếp tục lúc 07:00")
	})
	paused := sentCount(t, r.x, id)
	for { // the status follows the clock, not the workers: let their last sends land
		time.Sleep(300 * time.Millisecond)
		n := sentCount(t, r.x, id)
		if n == paused {
			break
		}
		paused = n
	}
	if paused == len(ps) {
		t.Fatalf("all %d sent by 21:00, want some left", len(ps))
	}
	time.Sleep(time.Second) // a second of night: nothing goes out
	if n := sentCount(t, r.x, id); n != paused {
		t.Fatalf("%d sent during quiet hours", n-paused)
	}

	morning := vnTime(7, 0, 0).AddDate(0, 0, 1)
	clk.Set(morning.Add(-time.Second))
	r.waitFor("every delivery after 07:00", func() bool { return sentCount(t, r.x, id) == len(ps) })
	var night int
	if err := r.x.Get(&night, `SELECT count(*) FROM deliveries WHERE broadcast_id = $1 AND sent_at >= $2 AND sent_at < $3`,
		id, nine.Add(time.Second), morning); err != nil {
		t.Fatal(err)
	}
	if night != 0 {
		t.Fatalf("%d delivered at night", night)
	}
	r.waitText(officer.ID, "đã gửi xong: 80/80")
}
