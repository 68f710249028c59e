package announcements_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/channel/telegram"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// BenchmarkBroadcast delivers one announcement per iteration to
// BROADCAST_BENCH_N recipients (10,000 by default) through a test Bot API
// server that enforces 30 messages a second overall and 1 a second per
// chat, and reports the achieved rate as a fraction of that limit
// (rate/limit, to be at least 0.95) and the 429s the bot did not honour
// (early-retries, to be 0). BROADCAST_BENCH_RATE sets the bot's pace
// (29.2 by default: just under the limit, leaving room for the jitter of
// requests in flight). 10,000 recipients take about six minutes:
//
//	go test -bench BenchmarkBroadcast -run '^$' -timeout 30m ./bot
//	BROADCAST_BENCH_N=1000 go test -bench BenchmarkBroadcast -run '^$' ./bot
func BenchmarkBroadcast(b *testing.B) {
	n := benchEnvInt(b, "BROADCAST_BENCH_N", 10000)
	rate := 29.2
	if v := os.Getenv("BROADCAST_BENCH_RATE"); v != "" {
		var err error
		if rate, err = strconv.ParseFloat(v, 64); err != nil {
			b.Fatalf("BROADCAST_BENCH_RATE: %v", err)
		}
	}
	const limit = 30
	x := dbtest.New(b)
	db := &store.DB{X: x}
	api := botapitest.NewTest(b, botapitest.WithLimits(botapitest.Limits{Overall: limit, PerChat: 1}))
	officer := api.NewUser("Cán bộ", "vi")
	staff := officerRow(b, x, officer, hiepHoa)
	ps := eligibleReturnees(api, n, hiepHoa)
	seedReturnees(b, x, ps)
	recipient := map[int64]bool{}
	for _, p := range ps {
		recipient[p.user.ID] = true
	}

	clk := bottest.DayClock()
	log := bottest.Logger()
	cat, err := i18n.Load(log)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bt, err := bot.New(ctx, bot.Options{
		Token: api.Token(), APIURL: api.URL(), PollTimeout: time.Second,
		Limits:    telegram.DefaultLimits(1000), // the shared bucket is the pace here
		Now:       clk.Now,
		Broadcast: bot.BroadcastOptions{Rate: rate, PollEvery: 20 * time.Millisecond},
	}, db, flows.NewEngine(nil), cat, log)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = bt.Run(ctx) }()
	defer func() { cancel(); <-done }()

	b.ResetTimer()
	for i := range b.N {
		id := scheduleBroadcast(b, db, staff, officer.ID, "Thông báo số "+strconv.Itoa(i+1)+": ngày giao dịch của Ngân hàng Chính sách xã hội.", clk.Now(), hiepHoa)
		deadline := clock.System().Add(time.Duration(float64(n)/rate*2)*time.Second + time.Minute)
		for {
			var st struct {
				Started bool `db:"started"`
				Open    int  `db:"open"`
			}
			if err := x.Get(&st, `
SELECT status <> 'scheduled' AS started,
       (SELECT count(*) FROM deliveries WHERE broadcast_id = $1 AND status IN ('pending', 'sending')) AS open
  FROM broadcasts WHERE id = $1`, id); err != nil {
				b.Fatal(err)
			}
			if st.Started && st.Open == 0 {
				break
			}
			if clock.System().After(deadline) {
				b.Fatalf("broadcast %d: %d deliveries still open", id, st.Open)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if c := bottest.DeliveryCounts(b, x, id); c["sent"] != n {
			b.Fatalf("broadcast %d: deliveries %v, want %d sent", id, c, n)
		}
	}
	b.StopTimer()

	// The achieved rate: accepted sends to the recipients, from the first
	// to the last, as the server saw them.
	var first, last time.Time
	sent := 0
	for _, c := range api.CallLog() {
		if c.Method != "sendMessage" || c.Status != 200 || !recipient[c.ChatID] {
			continue
		}
		if sent == 0 {
			first = c.At
		}
		last = c.At
		sent++
	}
	achieved := float64(sent-1) / last.Sub(first).Seconds()
	b.ReportMetric(achieved, "msgs/s")
	b.ReportMetric(achieved/limit, "rate/limit")
	b.ReportMetric(float64(api.EarlyRetries()), "early-retries")
	b.ReportMetric(float64(api.TooManyRequests()), "429s")
	b.Logf("%d recipients × %d: %d sent in %v, %.2f/s against a limit of %d/s; %d 429s, %d early retries",
		n, b.N, sent, last.Sub(first).Round(time.Millisecond), achieved, limit, api.TooManyRequests(), api.EarlyRetries())
	if achieved/limit < 0.95 || api.EarlyRetries() != 0 {
		b.Errorf("rate/limit %.3f (want ≥ 0.95), %d early retries (want 0)", achieved/limit, api.EarlyRetries())
	}
}

func benchEnvInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2 {
		b.Fatalf("%s: want a whole number above 1, got %q", name, v)
	}
	return n
}

var _ = botapitest.Limits{}
