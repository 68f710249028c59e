// Package bench measures the bot under load: updates per second and
// latency end to end (test Bot API server → bot → PostgreSQL → reply at the
// server), the same load against a bare echo bot on go-telegram/bot, and
// the peak memory of a bot process. The benchmarks in bench_test.go and
// `reentrybot bench` both drive it; BENCHMARKS.md has the figures.
//
// The load: returnees seeded in the middle of the job flow, at the question
// that asks for trades, each alternately typing a trade and pressing a
// trade button on the bot's newest question. Every such input is answered
// with exactly one message (the question again), so each input has one
// reply to time. Latency runs from just before the update is queued at the
// test server to the arrival at the server of the sendMessage that answers
// it, seen by a recorder in front of the server.
package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/migrations"
	"reentrybot/pgtemp"
)

// Postgres is the server the benchmarks create their databases on: a
// throwaway pgtemp cluster, or an existing server given by a superuser URL.
type Postgres struct {
	cluster *pgtemp.Cluster
	url     string
	admin   *sql.DB
	seq     atomic.Int64
}

// StartPostgres starts a throwaway cluster, or uses the server at
// superuserURL when it is not empty.
func StartPostgres(ctx context.Context, superuserURL string) (*Postgres, error) {
	p := &Postgres{url: superuserURL}
	if superuserURL == "" {
		c, err := pgtemp.Start(ctx)
		if err != nil {
			return nil, err
		}
		p.cluster, p.url = c, c.URL()
	}
	admin, err := sql.Open("postgres", p.url)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("bench: connecting to PostgreSQL: %w", err)
	}
	p.admin = admin
	return p, nil
}

// Close drops nothing on a shared server (each database is dropped by its
// Env) and stops a throwaway cluster.
func (p *Postgres) Close() error {
	if p.admin != nil {
		p.admin.Close()
	}
	if p.cluster != nil {
		return p.cluster.Stop()
	}
	return nil
}

// Version is the server's version string.
func (p *Postgres) Version(ctx context.Context) string {
	var v string
	if err := p.admin.QueryRowContext(ctx, `SHOW server_version`).Scan(&v); err != nil {
		return "?"
	}
	return v
}

// newDatabase creates and migrates a database and returns its URL.
func (p *Postgres) newDatabase(ctx context.Context, syncCommit bool) (name, dbURL string, err error) {
	name = fmt.Sprintf("bench_%d_%d", time.Now().UnixNano()%1e9, p.seq.Add(1))
	if _, err := p.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return "", "", fmt.Errorf("bench: %w", err)
	}
	sc := "off"
	if syncCommit {
		sc = "on"
	}
	if _, err := p.admin.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(name)+" SET synchronous_commit = "+sc); err != nil {
		return "", "", fmt.Errorf("bench: %w", err)
	}
	if p.cluster != nil {
		dbURL = p.cluster.URLFor(name)
	} else {
		u, err := url.Parse(p.url)
		if err != nil {
			return "", "", fmt.Errorf("bench: the database URL: %w", err)
		}
		u.Path = "/" + name
		dbURL = u.String()
	}
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	if err := migrations.Up(ctx, db); err != nil {
		return "", "", err
	}
	return name, dbURL, nil
}

func (p *Postgres) dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := p.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(name)+" WITH (FORCE)")
	return err
}

// EnvConfig sizes an Env.
type EnvConfig struct {
	People int // rows in people (0: no database, for the echo bot)
	Active int // of them in the middle of the job flow, each a test user
	// SyncCommit sets synchronous_commit for the database (the throwaway
	// cluster runs with it off and fsync off).
	SyncCommit bool
	Log        *slog.Logger
}

// Env is a seeded database and a test Bot API server with a user per
// active returnee, behind a recorder that times the bot's replies.
type Env struct {
	API   *botapitest.Server
	URL   string // Bot API URL for the bot under test (the recorder)
	DBURL string // the database, empty without one
	DB    *sqlx.DB

	// ChildPID is the bot's process when it runs in its own: its CPU
	// time is then counted apart.
	ChildPID int

	pg      *Postgres
	pm      int // the throwaway server's pid, for its CPU time
	dbName  string
	srv     *http.Server
	players []*player
	byChat  map[int64]*player
	extra   atomic.Int64 // replies nobody waited for
	log     *slog.Logger
}

type player struct {
	u       botapitest.User
	replies chan reply
	last    reply // newest reply: what the next press presses on
	sent    int
}

type reply struct {
	at      time.Time
	msgID   int
	buttons []string
}

// NewEnv creates the database (when cfg.People > 0) and the test server,
// with limits off: Telegram's limits are not what is measured.
func NewEnv(ctx context.Context, pg *Postgres, cfg EnvConfig) (_ *Env, err error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	e := &Env{pg: pg, byChat: map[int64]*player{}, log: cfg.Log}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	e.API = botapitest.New(botapitest.WithLimits(botapitest.Limits{Disabled: true}))
	for i := range cfg.Active {
		u := e.API.NewUser("Người "+strconv.Itoa(i), "vi")
		p := &player{u: u, replies: make(chan reply, 16)}
		e.players = append(e.players, p)
		e.byChat[u.ID] = p
	}
	if cfg.People > 0 {
		if len(e.players) == 0 {
			return nil, errors.New("bench: people without active users")
		}
		if e.dbName, e.DBURL, err = pg.newDatabase(ctx, cfg.SyncCommit); err != nil {
			return nil, err
		}
		if pg.cluster != nil {
			e.pm = postmaster(pg.url)
		}
		if e.DB, err = sqlx.Open("postgres", e.DBURL); err != nil {
			return nil, err
		}
		if _, err := Seed(ctx, e.DB, clock.System(), e.players[0].u.ID, cfg.People, cfg.Active); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.URL = "http://" + ln.Addr().String()
	e.srv = &http.Server{Handler: http.HandlerFunc(e.record), ReadHeaderTimeout: 10 * time.Second}
	go e.srv.Serve(ln)
	return e, nil
}

// Close stops the servers and drops the database.
func (e *Env) Close() error {
	var errs []error
	if e.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		e.srv.Shutdown(ctx)
		cancel()
	}
	if e.API != nil {
		e.API.Close()
	}
	if e.DB != nil {
		e.DB.Close()
	}
	if e.dbName != "" {
		errs = append(errs, e.pg.dropDatabase(e.dbName))
	}
	return errors.Join(errs...)
}

// Token is the bot token the test server accepts.
func (e *Env) Token() string { return e.API.Token() }

// capture passes a response through and keeps a copy of its body.
type capture struct {
	http.ResponseWriter
	body []byte
}

func (c *capture) Write(b []byte) (int, error) {
	c.body = append(c.body, b...)
	return c.ResponseWriter.Write(b)
}

type sentMessage struct {
	OK     bool `json:"ok"`
	Result struct {
		MessageID int `json:"message_id"`
		Chat      struct {
			ID int64 `json:"id"`
		} `json:"chat"`
		ReplyMarkup struct {
			InlineKeyboard [][]struct {
				CallbackData string `json:"callback_data"`
			} `json:"inline_keyboard"`
		} `json:"reply_markup"`
	} `json:"result"`
}

// record serves the test server, noting when each successful sendMessage
// arrived and which buttons it carried.
func (e *Env) record(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/sendMessage") {
		e.API.ServeHTTP(w, r)
		return
	}
	at := time.Now()
	c := &capture{ResponseWriter: w}
	e.API.ServeHTTP(c, r)
	var m sentMessage
	if err := json.Unmarshal(c.body, &m); err != nil || !m.OK {
		return
	}
	p := e.byChat[m.Result.Chat.ID]
	if p == nil {
		return
	}
	rep := reply{at: at, msgID: m.Result.MessageID}
	for _, row := range m.Result.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			rep.buttons = append(rep.buttons, b.CallbackData)
		}
	}
	select {
	case p.replies <- rep:
	default:
		e.extra.Add(1)
	}
}

// Load is what a run sends.
type Load struct {
	Updates int // inputs in all
	// Rate is the offered load in updates/s, spread evenly over the users
	// (each sends every Users/Rate seconds, and never before the answer to
	// its previous input); 0 sends each user's next input as soon as the
	// answer to the previous one arrives (closed loop: the most the bot
	// does with that many users).
	Rate    float64
	Users   int           // how many users take part; all when 0
	Timeout time.Duration // for one reply; 30 s when 0
}

// Result is what a run measured.
type Result struct {
	Updates   int
	Users     int
	Rate      float64 // offered, 0 for a closed loop
	Elapsed   time.Duration
	PerSecond float64
	P50, P90  time.Duration
	P99, Max  time.Duration
	Late      int   // inputs sent behind schedule because an answer was late
	Extra     int64 // replies no input was waiting for (should be 0)
	// CPU time used during the run by this process (the test server, the
	// load and, unless ChildPID is set, the bot), by the bot's process
	// when it has its own, and by the PostgreSQL server (0 when not a
	// throwaway one).
	CPUSelf, CPUChild, CPUServer time.Duration
	// CPUOther is the CPU time the rest of the machine used during the
	// run (other processes, and server processes that ended): when it is
	// large the figures are disturbed.
	CPUOther time.Duration
}

// CPUPerUpdate is CPU time per update used by the bot's process (with the
// test server and the load when in this process) and by PostgreSQL.
func (r Result) CPUPerUpdate() (bot, server time.Duration) {
	if r.Updates == 0 {
		return 0, 0
	}
	b := r.CPUChild
	if b == 0 {
		b = r.CPUSelf
	}
	return b / time.Duration(r.Updates), r.CPUServer / time.Duration(r.Updates)
}

func (r Result) String() string {
	mode := "closed loop"
	if r.Rate > 0 {
		mode = fmt.Sprintf("offered %.0f/s", r.Rate)
	}
	cpu := fmt.Sprintf("CPU this process %v", r.CPUSelf.Round(10*time.Millisecond))
	if r.CPUChild > 0 {
		cpu += fmt.Sprintf(", bot process %v", r.CPUChild.Round(10*time.Millisecond))
	}
	if r.CPUServer > 0 {
		cpu += fmt.Sprintf(", PostgreSQL %v", r.CPUServer.Round(10*time.Millisecond))
	}
	if r.Updates < 100 {
		return fmt.Sprintf("%d updates in %v", r.Updates, r.Elapsed.Round(time.Millisecond))
	}
	if r.Updates > 0 {
		b, pg := r.CPUPerUpdate()
		cpu += fmt.Sprintf(" (per update: bot%s %v, PostgreSQL %v)", map[bool]string{true: "", false: "+server+load"}[r.CPUChild > 0],
			b.Round(time.Microsecond), pg.Round(time.Microsecond))
	}
	cpu += fmt.Sprintf("; rest of the machine %v", r.CPUOther.Round(10*time.Millisecond))
	return fmt.Sprintf("%d updates from %d users (%s) in %v: %.0f updates/s, latency p50 %v p90 %v p99 %v max %v, late %d, extra replies %d; %s",
		r.Updates, r.Users, mode, r.Elapsed.Round(time.Millisecond), r.PerSecond,
		ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), r.Late, r.Extra, cpu)
}

func ms(d time.Duration) time.Duration { return d.Round(100 * time.Microsecond) }

// Prime makes every user type once and waits for the answers, so that each
// has a question with buttons to press. Not timed.
func (e *Env) Prime(ctx context.Context, timeout time.Duration) error {
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, p := range e.players {
		e.API.SendText(p.u, "thợ hàn")
	}
	for _, p := range e.players {
		select {
		case r := <-p.replies:
			p.last = r
		case <-ctx.Done():
			return fmt.Errorf("bench: priming: no answer to user %d: %w", p.u.ID, ctx.Err())
		}
	}
	return nil
}

var trades = []string{"factory", "garment", "construction", "mechanic", "electric", "driver", "farming", "cooking", "repair", "sales"}

// input sends p's next input: a typed trade, or a press on a trade button
// of the newest question.
func (e *Env) input(p *player) error {
	n := p.sent
	p.sent++
	if n%2 == 1 {
		want := "t:" + trades[(n/2)%len(trades)]
		for _, data := range p.last.buttons {
			if strings.HasSuffix(data, want) {
				_, err := e.API.PressButton(p.u, botapitest.Message{ID: p.last.msgID, ChatID: p.u.ID}, data)
				return err
			}
		}
	}
	e.API.SendText(p.u, "nghề khác "+strconv.Itoa(n))
	return nil
}

// Run sends the load and measures it.
func (e *Env) Run(ctx context.Context, l Load) (Result, error) {
	users := l.Users
	if users <= 0 || users > len(e.players) {
		users = len(e.players)
	}
	if l.Updates < users {
		users = l.Updates
	}
	if l.Timeout == 0 {
		l.Timeout = 30 * time.Second
	}
	res := Result{Updates: l.Updates, Users: users, Rate: l.Rate}
	if users == 0 {
		return res, nil
	}
	e.extra.Store(0)
	var period time.Duration
	if l.Rate > 0 {
		period = time.Duration(float64(users) / l.Rate * float64(time.Second))
	}
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, l.Updates)
		last time.Time
		late int
		errs []error
		wg   sync.WaitGroup
	)
	cpuSelf, cpuChild, cpuServer, busy := selfCPU(), time.Duration(0), serverCPU(e.pm), machineBusy()
	if e.ChildPID != 0 {
		cpuChild = procCPU(e.ChildPID)
	}
	start := time.Now()
	for i := range users {
		p := e.players[i]
		n := l.Updates / users
		if i < l.Updates%users {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, n)
			myLate := 0
			var myLast time.Time
			var err error
			next := start
			if period > 0 {
				next = start.Add(period * time.Duration(i) / time.Duration(users))
			}
			timer := time.NewTimer(0)
			<-timer.C
			for k := 0; k < n && err == nil; k++ {
				if period > 0 {
					if d := time.Until(next); d > 0 {
						timer.Reset(d)
						select {
						case <-timer.C:
						case <-ctx.Done():
							err = ctx.Err()
							continue
						}
					} else if k > 0 && d < -period/10 {
						myLate++
					}
					next = next.Add(period)
				}
				sent := time.Now()
				if err = e.input(p); err != nil {
					break
				}
				timer.Reset(l.Timeout)
				select {
				case r := <-p.replies:
					if !timer.Stop() {
						<-timer.C
					}
					p.last = r
					mine = append(mine, r.at.Sub(sent))
					myLast = r.at
				case <-timer.C:
					err = fmt.Errorf("bench: user %d got no answer to input %d within %v", p.u.ID, p.sent, l.Timeout)
				case <-ctx.Done():
					err = ctx.Err()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, mine...)
			late += myLate
			if myLast.After(last) {
				last = myLast
			}
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	// Server processes that ended during the run take their time with
	// them: the figure counts live ones only, and is 0 if it went down.
	res.CPUSelf, res.CPUServer = selfCPU()-cpuSelf, max(serverCPU(e.pm)-cpuServer, 0)
	if e.ChildPID != 0 {
		res.CPUChild = procCPU(e.ChildPID) - cpuChild
	}
	res.CPUOther = max(machineBusy()-busy-res.CPUSelf-res.CPUChild-res.CPUServer, 0)
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	// A second answer to any input would show up now.
	time.Sleep(50 * time.Millisecond)
	for _, p := range e.players[:users] {
		for len(p.replies) > 0 {
			<-p.replies
			e.extra.Add(1)
		}
	}
	res.Elapsed = last.Sub(start)
	res.PerSecond = float64(len(lat)) / res.Elapsed.Seconds()
	res.Late, res.Extra = late, e.extra.Load()
	slices.Sort(lat)
	pick := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	res.P50, res.P90, res.P99, res.Max = pick(0.50), pick(0.90), pick(0.99), lat[len(lat)-1]
	return res, nil
}
