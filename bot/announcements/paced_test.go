package announcements_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/clock"
)

// An announcement is paced once and a 429 is handled once (issue 13): the
// shared buckets pace it, not the sender's in-process limiter as well
// (here one call per 5 s, which would stretch five calls over 20 s), and
// a 429 is waited out by the workers' pause alone, not also by the
// sender's wait (its Sleep) or by a later attempt of the delivery.
func TestAnnouncementPacedOnce(t *testing.T) {
	const people = 4
	var senderSleeps atomic.Int32
	clk := bottest.DayClock()
	r := bottest.New(t, bottest.WithFastLimits(), bottest.WithClock(clk.Now),
		bottest.WithBroadcast(bot.BroadcastOptions{Rate: 20, PerChatRate: 100, PollEvery: 20 * time.Millisecond, StatusEvery: 50 * time.Millisecond}),
		bottest.WithSleep(func(ctx context.Context, d time.Duration) error {
			senderSleeps.Add(1)
			return clock.Sleep(ctx, d)
		}),
		func(o *bot.Options, _ *[]botapitest.Option) { o.Limits.PerSecond, o.Limits.Burst = 0.2, 1 })
	officer := r.API.NewUser("Cán bộ", "vi")
	staff := officerRow(t, r.X, officer, hiepHoa)
	ps := eligibleReturnees(r.API, people, hiepHoa)
	seedReturnees(t, r.X, ps)
	r.Run()
	// Scheduled ahead, so that the 429 is armed after the status message:
	// it hits a delivery.
	id := scheduleBroadcast(t, r.DB, staff, officer.ID, "Thông báo thử", clk.Now().Add(3*time.Second), hiepHoa)
	r.WaitText(officer.ID, "sẽ gửi lúc")
	r.API.FailNext("sendMessage", 1, 429, "Too Many Requests: retry after 1", 1)
	r.WaitFor("every delivery sent", func() bool { return r.DeliveryCounts(id)["sent"] == people })

	var chats []int64
	for _, p := range ps {
		chats = append(chats, p.user.ID)
	}
	var calls []botapitest.Call
	for _, c := range r.API.CallLog() {
		if c.Method == "sendMessage" && slices.Contains(chats, c.ChatID) {
			calls = append(calls, c)
		}
	}
	refused := 0
	for _, c := range calls {
		if c.Status == 429 {
			refused++
		}
	}
	if len(calls) != people+1 || refused != 1 {
		t.Fatalf("%d sends to the recipients, %d of them refused with 429; want %d and 1", len(calls), refused, people+1)
	}
	if n := senderSleeps.Load(); n != 0 {
		t.Errorf("the sender waited %d times: the 429 was waited out twice", n)
	}
	if n := r.API.EarlyRetries(); n != 0 {
		t.Errorf("%d sends before retry_after was over", n)
	}
	if span := calls[len(calls)-1].At.Sub(calls[0].At); span < time.Second || span > 10*time.Second {
		t.Errorf("the sends spanned %v: want the 1 s pause and no in-process pacing (5 s a call)", span)
	}
	var attempts []int
	if err := r.X.Select(&attempts, `SELECT attempts FROM deliveries WHERE broadcast_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for _, a := range attempts {
		if a != 1 {
			t.Fatalf("delivery attempts %v: a 429 is not a failed attempt", attempts)
		}
	}
}
