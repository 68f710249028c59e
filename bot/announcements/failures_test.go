package announcements_test

import (
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
)

// How one delivery ends when Telegram answers badly: 5xx retried with
// backoff, within a send and then as a later attempt of the delivery,
// until the limit, then failed with the reason; a refusal (400) fails at
// once with Telegram's reason; a 429 is waited out and the message goes.
func TestAnnounceDeliveryFailures(t *testing.T) {
	const sendTries, deliveryTries = 3, 2 // sender attempts per try, tries per delivery
	tests := []struct {
		name     string
		code     int
		desc     string
		n        int // calls that fail
		retry    int // retry_after
		status   string
		attempts int
		reason   string
	}{
		{"5xx, then it goes", 502, "Bad Gateway", sendTries + 1, 0, "sent", 2, ""},
		{"5xx until the limit", 502, "Bad Gateway", sendTries * deliveryTries, 0, "failed", deliveryTries, "502 Bad Gateway"},
		{"network-like 500 once", 500, "Internal Server Error", 1, 0, "sent", 1, ""},
		{"refused", 400, "Bad Request: chat not found", 1, 0, "failed", 1, "chat not found"},
		{"flood wait", 429, "Too Many Requests: retry after 1", 1, 1, "sent", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := bottest.DayClock()
			r := bottest.New(t, bottest.WithFastLimits(), bottest.WithClock(clk.Now), bottest.WithBroadcast(bot.BroadcastOptions{
				Rate: 100, PerChatRate: 100, MaxAttempts: deliveryTries, RetryBase: 50 * time.Millisecond,
				PollEvery: 20 * time.Millisecond, StatusEvery: 50 * time.Millisecond,
			}))
			r.Opts.Limits.MaxAttempts = sendTries
			officer := r.API.NewUser("Cán bộ", "vi")
			staff := officerRow(t, r.X, officer, hiepHoa)
			ps := eligibleReturnees(r.API, 1, hiepHoa)
			seedReturnees(t, r.X, ps)
			r.Restart() // with the sender's attempts set
			// Scheduled a few seconds ahead (a loaded machine is slow), so that the status message is out
			// before the faults are armed: they hit the delivery only.
			id := scheduleBroadcast(t, r.DB, staff, officer.ID, "Thông báo thử", clk.Now().Add(3*time.Second), hiepHoa)
			r.WaitText(officer.ID, "sẽ gửi lúc")
			r.API.FailNext("sendMessage", tt.n, tt.code, tt.desc, tt.retry)
			r.WaitText(officer.ID, "Thông báo #1 đã gửi xong")
			var d struct {
				Status   string `db:"status"`
				Attempts int    `db:"attempts"`
				Reason   string `db:"reason"`
			}
			if err := r.X.Get(&d, `SELECT status, attempts, coalesce(last_error, '') AS reason FROM deliveries WHERE broadcast_id = $1`, id); err != nil {
				t.Fatal(err)
			}
			if d.Status != tt.status || d.Attempts != tt.attempts || !strings.Contains(d.Reason, tt.reason) || tt.reason == "" && d.Reason != "" {
				t.Fatalf("delivery %+v, want %s after %d attempts, reason %q", d, tt.status, tt.attempts, tt.reason)
			}
			if got := len(announceMsgs(r, ps[0].user.ID)); (got == 1) != (tt.status == "sent") {
				t.Fatalf("%d announcements received", got)
			}
			if n := r.API.EarlyRetries(); n != 0 {
				t.Fatalf("%d sends before retry_after was over", n)
			}
		})
	}
}
