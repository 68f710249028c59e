// Package demo runs everything on one machine with no setup: a private
// PostgreSQL (or DATABASE_URL), the test Bot API server with the
// playground page on its address, the bot, and sample data marked as
// sample, so that a newcomer can play the returnee, the counsellor and the
// commune officer.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"reentrybot/app"
	"reentrybot/bot"
	"reentrybot/bot/casework"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/config"
	"reentrybot/pgtemp"
	"reentrybot/playground"
	"reentrybot/refdata"
	"reentrybot/store"
	"reentrybot/zalotest"
)

// Demo is a running demo.
type Demo struct {
	API        *botapitest.Server
	App        *app.App
	Clock      *Clock
	Counsellor botapitest.User
	Officer    botapitest.User
	Admin      botapitest.User
	Group      botapitest.Chat
	DBWhere    string           // "private" or "DATABASE_URL"
	Zalo       *zalotest.Server // the fake Zalo OA (demo/zalo.go)

	cluster *pgtemp.Cluster
	page    atomic.Pointer[playground.Playground] // hears the fake OA's sends
}

// Clock is the bot's clock: the program's (clock.System) plus an offset
// the playground can move forward.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the moved time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return clock.System().Add(c.offset)
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) error {
	if d <= 0 || d > 60*24*time.Hour {
		return errors.New("move the clock forward by up to 60 days")
	}
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
	return nil
}

// Start brings everything up. cfg comes from the environment; its
// DatabaseURL may be empty (a private cluster is started).
func Start(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *Demo, err error) {
	d := &Demo{Clock: &Clock{}, DBWhere: "DATABASE_URL"}
	defer func() {
		if err != nil {
			d.Stop()
		}
	}()
	if cfg.DatabaseURL == "" {
		d.cluster, err = pgtemp.Start(ctx, pgtemp.WithLogger(log))
		if err != nil {
			return nil, fmt.Errorf("private database (set DATABASE_URL to use your own): %w", err)
		}
		cfg.DatabaseURL = d.cluster.URL()
		d.DBWhere = "private, removed on exit"
	}
	d.API = botapitest.New(botapitest.WithLogger(log), botapitest.WithBotUser(7000001, "reentry_demo_bot"))
	cfg.TelegramToken, cfg.TelegramAPIURL = d.API.Token(), d.API.URL()
	cfg.WebhookURL, cfg.WebhookSecret = "", ""
	cfg.WebChat.FrameAncestors = append(cfg.WebChat.FrameAncestors, d.API.URL()) // the playground frames /chat
	d.startZalo(&cfg)
	enableDesk(&cfg, d.API.URL()) // demo/desk.go

	d.App, err = app.Start(ctx, cfg, log, app.WithClock(d.Clock.Now))
	if err != nil {
		return nil, err
	}
	if err := d.connectZalo(ctx); err != nil {
		return nil, err
	}
	if err := d.seed(ctx); err != nil {
		return nil, fmt.Errorf("sample data: %w", err)
	}
	desk, err := d.seedDesk(ctx)
	if err != nil {
		return nil, fmt.Errorf("the desk's counsellor: %w", err)
	}
	page := playground.New(d.API, playground.Options{
		AdvanceClock: d.Clock.Advance,
		Personas: []playground.Persona{
			{Label: "Tư vấn viên · Counsellor", User: d.Counsellor, Group: true},
			{Label: "Cán bộ xã · Commune officer", User: d.Officer},
			{Label: "Quản trị · Admin", User: d.Admin},
		},
		GroupChatID: d.Group.ID,
		WebChatURL:  d.webChatURL(),
		Zalo:        d.Zalo,
		Desk:        desk,
	})
	d.page.Store(page)
	d.API.Mount(page)
	return d, nil
}

// URL is the playground page.
func (d *Demo) URL() string { return d.API.URL() + playground.Path }

// seed loads sample reference data and makes the staff accounts and the
// staff group the way real staff would: invitation links and /setup.
func (d *Demo) seed(ctx context.Context) error {
	db := d.App.DB
	today := d.Clock.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := refdata.LoadCommunes(ctx, tx); err != nil {
			return err
		}
		n, err := tx.SampleCourses(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			if _, err := refdata.LoadSampleCourses(ctx, tx, today); err != nil {
				return err
			}
		}
		communes, err := refdata.Communes()
		if err != nil {
			return err
		}
		_, err = refdata.LoadLoanDays(ctx, tx, refdata.SampleLoanDays(communes, today, 3, 5))
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	d.Admin, err = d.staff(ctx, store.RoleAdmin, nil, "Quản trị (mẫu)")
	errs = append(errs, err)
	d.Counsellor, err = d.staff(ctx, store.RoleCounsellor, nil, "Chị Lan (mẫu)")
	errs = append(errs, err)
	d.Officer, err = d.staff(ctx, store.RoleOfficer, []string{"07840"}, "Cán bộ xã Hiệp Hoà (mẫu)")
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.Group = d.API.NewGroup("Tổ tư vấn (mẫu)", true)
	d.API.SendTextIn(d.Group.ID, 0, d.Admin, "/setup")
	return d.waitFor(ctx, "the staff group set up", func() bool {
		v, err := db.Setting(ctx, casework.SettingStaffGroup)
		return err == nil && v != ""
	})
}

// staff invites a sample staff member and opens the invitation link as
// a Telegram user would.
func (d *Demo) staff(ctx context.Context, role store.Role, communes []string, name string) (botapitest.User, error) {
	code, hash := bot.NewInviteCode()
	if _, err := d.App.DB.CreateInvite(ctx, role, communes, name, hash, d.Clock.Now().Add(time.Hour)); err != nil {
		return botapitest.User{}, err
	}
	u := d.API.NewUser(name, "vi")
	d.API.SendText(u, "/start "+bot.InvitePrefix+code)
	err := d.waitFor(ctx, name+" bound", func() bool {
		_, ok, err := d.App.DB.StaffByTelegram(ctx, u.ID)
		return err == nil && ok
	})
	return u, err
}

func (d *Demo) waitFor(ctx context.Context, what string, cond func() bool) error {
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for %s", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// Stop stops everything, the bot first.
func (d *Demo) Stop() {
	if d.App != nil {
		_ = d.App.Stop()
	}
	if d.API != nil {
		d.API.Close()
	}
	if d.Zalo != nil {
		d.Zalo.Close()
	}
	if d.cluster != nil {
		_ = d.cluster.Stop()
	}
}
