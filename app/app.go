// Package app wires the parts of the bot together: database, migrations,
// flows, transport and the HTTP server. cmd/reentrybot and the tests both
// start the bot through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"reentrybot/bot"
	"reentrybot/channel/telegram"
	"reentrybot/clock"
	"reentrybot/config"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
	"reentrybot/webchat"
	"reentrybot/zalo"
)

// App is a running bot.
type App struct {
	Bot  *bot.Bot
	DB   *store.DB
	Addr string // where the HTTP server listens
	// MetricsAddr is where the metrics and health listener listens (empty
	// when METRICS_ADDR is off).
	MetricsAddr string
	// WebChat is the web chat channel at /chat (nil when WEBCHAT is off).
	WebChat *webchat.Channel
	// DeskAddr is where the staff desk listens (empty when DESK_ADDR is
	// off; app/desk.go).
	DeskAddr string

	log     *slog.Logger
	srv     *http.Server
	metrics *http.Server
	cancel  context.CancelFunc
	done    chan error

	zalo      *zalo.Channel // app/zalo.go
	closeZalo func()
}

// WebhookPath is where the webhook endpoint is served.
const WebhookPath = "/telegram/webhook"

// Option adjusts how the app starts.
type Option func(*options)

type options struct {
	now func() time.Time
}

// WithClock gives the bot a clock other than the system's (the demo moves
// it forward to show reminders and timeouts).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Start connects, migrates when cfg.MigrateOnStart, refuses a database
// whose schema is not this binary's (pending migrations, or a newer
// binary's), and starts taking updates and serving HTTP. It returns once
// everything is up; Stop (or ctx) ends it.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	o := options{now: clock.System}
	for _, f := range opts {
		f(&o)
	}
	if err := cfg.RequireServe(); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	db.SetClock(o.now) // one clock for the store, the flows and the bot
	if clock.Moved() {
		log.Warn("the program's clock is moved by "+clock.Env, "now", o.now())
	}
	fail := func(err error) (*App, error) {
		db.Close()
		return nil, err
	}
	if cfg.MigrateOnStart {
		if err := db.Migrate(ctx); err != nil {
			return fail(err)
		}
	}
	switch s, err := db.Schema(ctx); {
	case err != nil:
		return fail(err)
	case len(s.Pending) > 0:
		return fail(fmt.Errorf("the database has %d pending migration(s) and MIGRATE_ON_START is false: "+
			"back up, then run `reentrybot migrate up` (docs/operations.md, Upgrading)", len(s.Pending)))
	case s.Ahead():
		// An older binary started after an upgrade: it would write rows
		// the newer schema may not accept.
		return fail(fmt.Errorf("the database is at migration %d, newer than this version knows (%d): "+
			"run the binary that migrated it", s.Current, s.Latest))
	}
	cat, err := i18n.Load(log)
	if err != nil {
		return fail(err)
	}
	hours := flows.WorkingHours{Loc: cfg.TimeZone, Start: cfg.WorkStart, End: cfg.WorkEnd, Days: cfg.WorkDays}
	engine := flows.NewEngine(db.Now, flows.WithWorkingHours(hours), flows.WithCatalog(cat))
	b, err := bot.New(ctx, bot.Options{
		Token:             cfg.TelegramToken,
		APIURL:            cfg.TelegramAPIURL,
		WebhookURL:        cfg.WebhookURL,
		WebhookSecret:     cfg.WebhookSecret,
		Workers:           cfg.Workers,
		Limits:            telegram.DefaultLimits(cfg.SendRate),
		Hours:             hours,
		Loc:               cfg.TimeZone,
		RetentionMonths:   cfg.RetentionMonths,
		ControllerName:    cfg.ControllerName,
		ControllerContact: cfg.ControllerContact,
		RepeatAfter:       cfg.RepeatAfter,
		Broadcast:         bot.BroadcastOptions{Rate: cfg.BroadcastRate, ApprovalOver: cfg.AnnounceApprovalOver},
		FileLinks:         fileLinks(cfg), // app/file_links.go
	}, db, engine, cat, log)
	if err != nil {
		return fail(err)
	}
	wc, err := startWebChat(ctx, cfg, b, db, log)
	if err != nil {
		return fail(err)
	}
	zch, closeZalo, err := addZalo(ctx, cfg, db, b, log)
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fail(fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err))
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fail(fmt.Errorf("METRICS_ADDR %s: %w", cfg.MetricsAddr, err))
		}
	}
	dln, err := listenDesk(cfg) // app/desk.go
	if err != nil {
		ln.Close()
		if mln != nil {
			mln.Close()
		}
		return fail(err)
	}
	a := &App{Bot: b, DB: db, Addr: ln.Addr().String(), WebChat: wc, log: log, done: make(chan error, 1)}
	a.zalo, a.closeZalo = zch, closeZalo
	b.Metrics.Registry.MustRegister(newHealthCollector(db, log), collectors.NewDBStatsCollector(db.X.DB, "reentrybot"))
	a.srv = &http.Server{Handler: a.routes(cfg), ReadHeaderTimeout: 10 * time.Second}
	go a.serve(a.srv, ln, "http")
	if mln != nil {
		a.MetricsAddr = mln.Addr().String()
		a.metrics = &http.Server{Handler: a.metricsRoutes(), ReadHeaderTimeout: 10 * time.Second}
		go a.serve(a.metrics, mln, "metrics")
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	if err := a.serveDesk(rctx, dln, cfg, cat); err != nil {
		log.Error("staff desk not served", "err", err)
	}
	go func() { a.done <- b.Run(rctx) }()
	go a.keepZaloToken(rctx)
	go func() {
		select {
		case <-ctx.Done():
			a.cancel()
		case <-rctx.Done():
		}
	}()
	log.Info("bot started", "bot", b.Username(), "http", a.Addr, "metrics", a.MetricsAddr, "webhook", cfg.WebhookURL != "")
	return a, nil
}

func (a *App) serve(srv *http.Server, ln net.Listener, name string) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		a.log.Error(name+" server", "err", err)
	}
}

// routes is the public listener: the webhook and the health checks, never
// the metrics (they tell outsiders how busy the service is).
func (a *App) routes(cfg config.Config) http.Handler {
	mux := http.NewServeMux()
	a.health(mux)
	a.mountWebChat(mux)
	a.mountZalo(mux)
	a.mountFileLinks(mux, cfg) // app/file_links.go
	if cfg.WebhookURL != "" {
		mux.Handle("POST "+WebhookPath, a.Bot.WebhookHandler())
	}
	return mux
}

// metricsRoutes is the private listener (METRICS_ADDR).
func (a *App) metricsRoutes() http.Handler {
	mux := http.NewServeMux()
	a.health(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Bot.Metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}

func (a *App) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := a.DB.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
}

// Wait blocks until the bot stops and returns why.
func (a *App) Wait() error { return <-a.done }

// ShutdownTimeout bounds how long Stop waits for the updates in hand and
// the HTTP servers; a supervisor's stop timeout must be longer.
const ShutdownTimeout = 30 * time.Second

// Stop stops taking updates (polling, and the HTTP server that carries the
// webhook), finishes those in hand, then closes the database.
func (a *App) Stop() error {
	a.cancel()
	if a.WebChat != nil {
		a.WebChat.Close() // its open streams would hold the server's shutdown
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	serr := a.srv.Shutdown(sctx)
	if a.metrics != nil {
		serr = errors.Join(serr, a.metrics.Shutdown(sctx))
	}
	err := <-a.done
	a.done <- err // Wait after Stop still answers
	if serr != nil {
		err = errors.Join(err, serr)
	}
	if a.WebChat != nil {
		a.WebChat.Wait() // push notifications under way
	}
	a.closeZalo()
	if cerr := a.DB.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	return err
}
