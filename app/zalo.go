package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/casework"
	"reentrybot/channel"
	"reentrybot/config"
	"reentrybot/store"
	"reentrybot/zalo"
)

// ZaloChannel builds the Zalo OA channel from the settings (nil when
// ZALO_OA_ID is empty); notify tells the staff group when the OA needs an
// admin (nil: only logged, as in `reentrybot zalo connect`).
func ZaloChannel(cfg config.Config, db *store.DB, log *slog.Logger, notify func(ctx context.Context, oa, why string) error, extra ...zalo.Option) *zalo.Channel {
	z := cfg.Zalo
	if !z.Enabled() {
		return nil
	}
	templates := map[channel.Purpose]zalo.Template{}
	if z.CareTemplate != "" {
		templates[channel.PurposeCounsellor] = zalo.Template{ID: z.CareTemplate}
		templates[channel.PurposeFollowUp] = zalo.Template{ID: z.CareTemplate}
	}
	if z.ReminderTemplate != "" {
		templates[channel.PurposeReminder] = zalo.Template{ID: z.ReminderTemplate, Transaction: true}
	}
	if z.AnnounceTemplate != "" {
		templates[channel.PurposeAnnouncement] = zalo.Template{ID: z.AnnounceTemplate}
	}
	opts := extra
	if notify != nil {
		opts = append(opts, zalo.WithNotify(notify))
	}
	return zalo.New(zalo.Config{
		AppID: z.AppID, AppSecret: z.AppSecret, OAID: z.OAID, OASecret: z.OASecret,
		APIURL: z.APIURL, OAuthURL: z.OAuthURL, ZNSURL: z.ZNSURL,
		Templates: templates, AllowedFrom: z.AllowedFrom, AllowedTo: z.AllowedTo,
		Loc: cfg.TimeZone, PaidMonthlyCap: z.PaidMonthlyCap,
	}, db, log.With("channel", "zalo"), opts...)
}

// addZalo adds the Zalo channel to the bot when configured. Its webhook
// writes the person's window through a small pool of its own, so that
// Zalo's 2 s acknowledgement does not wait behind the bot's handling for
// a connection; close releases it.
func addZalo(ctx context.Context, cfg config.Config, db *store.DB, b *bot.Bot, log *slog.Logger) (ch *zalo.Channel, close func(), err error) {
	if !cfg.Zalo.Enabled() {
		return nil, func() {}, nil
	}
	intake, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, fmt.Errorf("zalo intake pool: %w", err)
	}
	intake.X.SetMaxOpenConns(4)
	intake.SetClock(db.Now)
	ch = ZaloChannel(cfg, db, log, casework.ZaloNeedsAdmin(b), zalo.WithIntakeDB(intake))
	b.AddChannel(ch)
	return ch, func() { intake.Close() }, nil
}

// mountZalo serves Zalo's webhook on the public listener.
func (a *App) mountZalo(mux *http.ServeMux) {
	if a.zalo != nil {
		mux.Handle("POST "+zalo.WebhookPath, a.zalo.Webhook(a.Bot))
	}
}

// keepZaloToken refreshes the OA's token ahead of expiry even when no
// message goes out, so that a quiet OA keeps a usable refresh token.
func (a *App) keepZaloToken(ctx context.Context) {
	if a.zalo == nil {
		return
	}
	t := time.NewTicker(15 * time.Minute)
	defer t.Stop()
	for {
		if err := a.zalo.Refresh(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("zalo: token", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Zalo is the app's Zalo channel (nil when off).
func (a *App) Zalo() *zalo.Channel { return a.zalo }
