package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
	"reentrybot/zalo"
	"reentrybot/zalotest"
)

// zaloFollowers is how many Zalo followers write at once.
const zaloFollowers = 200

// zaloEnv is the bot with the Zalo channel on its own database, the fake
// OA posting signed events to the channel's webhook over HTTP.
type zaloEnv struct {
	fake    *zalotest.Server
	users   []string
	answers map[string]chan time.Time
}

var (
	zaloOnce sync.Once
	zaloE    *zaloEnv
	zaloErr  error
)

func startZalo(b *testing.B) *zaloEnv {
	b.Helper()
	sharedPostgres(b)
	zaloOnce.Do(func() { zaloE, zaloErr = newZaloEnv() })
	if zaloErr != nil {
		b.Fatal(zaloErr)
	}
	return zaloE
}

func newZaloEnv() (*zaloEnv, error) {
	ctx := context.Background()
	log := logger()
	name, dbURL, err := shared.pg.newDatabase(ctx, true)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	cat, err := i18n.Load(log)
	if err != nil {
		return nil, err
	}
	e := &zaloEnv{answers: map[string]chan time.Time{}}
	e.fake = zalotest.New(zalotest.Options{OnSend: func(user string, _ zalotest.Message) {
		if c := e.answers[user]; c != nil {
			select {
			case c <- time.Now():
			default:
			}
		}
	}})
	tg := botapitest.New(botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	bt, err := bot.New(ctx, bot.Options{Token: tg.Token(), APIURL: tg.URL(), Limits: FastLimits()}, db, flows.NewEngine(db.Now, flows.WithCatalog(cat)), cat, log)
	if err != nil {
		return nil, err
	}
	o := e.fake.Options()
	intake, err := store.Open(ctx, dbURL) // as app.Start wires it
	if err != nil {
		return nil, err
	}
	intake.X.SetMaxOpenConns(4)
	ch := zalo.New(zalo.Config{AppID: o.AppID, AppSecret: o.AppSecret, OAID: o.OAID, OASecret: o.OASecret,
		APIURL: e.fake.URL, OAuthURL: e.fake.URL, ZNSURL: e.fake.URL}, db, log, zalo.WithIntakeDB(intake))
	bt.AddChannel(ch)
	mux := http.NewServeMux()
	mux.Handle("POST "+zalo.WebhookPath, ch.Webhook(bt))
	hook := httptest.NewServer(mux)
	e.fake.SetWebhook(hook.URL + zalo.WebhookPath)
	a, r, exp := e.fake.IssueTokens()
	if err := ch.Install(ctx, store.ZaloToken{AccessToken: a, RefreshToken: r, AccessExpiresAt: exp, RefreshExpiresAt: exp.Add(zalotest.RefreshTTL)}); err != nil {
		return nil, err
	}
	for range zaloFollowers {
		u := e.fake.AddFollower("Người theo dõi")
		e.users = append(e.users, u.ID)
		e.answers[u.ID] = make(chan time.Time, 64)
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); bt.Run(rctx) }()
	shared.mu.Lock()
	shared.stop = append(shared.stop, func() {
		cancel()
		<-done
		hook.Close()
		e.fake.Close()
		tg.Close()
		intake.Close()
		db.Close()
		shared.pg.dropDatabase(name)
	})
	shared.mu.Unlock()
	return e, nil
}

// run has every follower write ("/menu", then "/help", …) as fast as the
// answers come, b.N events in all; it reports updates/s, the p99 of the
// webhook's acknowledgement (Zalo wants 2 s) and of the first answer.
func (e *zaloEnv) run(b *testing.B) {
	for _, c := range e.answers { // nothing left from a previous round
		for len(c) > 0 {
			<-c
		}
	}
	per := (b.N + len(e.users) - 1) / len(e.users)
	var mu sync.Mutex
	var acks, answers []time.Duration
	var failed int
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, u := range e.users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				text := "/menu"
				if i%2 == 1 {
					text = "/help"
				}
				t0 := time.Now()
				d, err := e.fake.SendText(u, text)
				var at time.Time
				if err == nil && d.Status == http.StatusOK {
					select {
					case at = <-e.answers[u]:
					case <-time.After(30 * time.Second):
					}
				}
				mu.Lock()
				if at.IsZero() {
					failed++
				} else {
					acks, answers = append(acks, d.Latency), append(answers, at.Sub(t0))
				}
				mu.Unlock()
				time.Sleep(20 * time.Millisecond) // the rest of a split answer
				for len(e.answers[u]) > 0 {
					<-e.answers[u]
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed > 0 {
		b.Errorf("%d events without an answer", failed)
	}
	if len(acks) == 0 {
		return
	}
	slices.Sort(acks)
	slices.Sort(answers)
	p99 := func(d []time.Duration) float64 { return float64(d[(len(d)*99)/100].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(acks))/elapsed.Seconds(), "updates/s")
	b.ReportMetric(p99(acks), "ack-p99-ms")
	b.ReportMetric(float64(acks[len(acks)-1].Microseconds())/1000, "ack-max-ms")
	b.ReportMetric(p99(answers), "p99-ms")
}

// BenchmarkZaloIntake: 200 Zalo followers write as fast as the answers
// come, each event a signed webhook call that is written to the intake
// inbox and acknowledged, then handled and answered through the fake OA;
// beside it, in the same run, Telegram's end-to-end figures (1,000
// returnees in the job flow among 100,000 people, BenchmarkEndToEnd's).
//
//	go test -run '^$' -bench ZaloIntake -benchtime 2000x ./bench
func BenchmarkZaloIntake(b *testing.B) {
	b.Run("zalo", func(b *testing.B) { startZalo(b).run(b) })
	b.Run("telegram", func(b *testing.B) { run(b, reentryEnv(b), Load{}) })
}
