package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"reentrybot/bot"
	"reentrybot/bot/announcements"
	"reentrybot/bot/casework"
	"reentrybot/config"
	"reentrybot/desk"
	"reentrybot/i18n"
)

// listenDesk opens the staff desk's own listener (DESK_ADDR); nil when
// the desk is off.
func listenDesk(cfg config.Config) (net.Listener, error) {
	if cfg.Desk.Addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", cfg.Desk.Addr)
	if err != nil {
		return nil, fmt.Errorf("DESK_ADDR %s: %w", cfg.Desk.Addr, err)
	}
	return ln, nil
}

// serveDesk serves the staff desk on ln until ctx ends (Stop).
func (a *App) serveDesk(ctx context.Context, ln net.Listener, cfg config.Config, cat *i18n.Catalog) error {
	if ln == nil {
		return nil
	}
	d, err := desk.New(a.DB, cat, desk.Options{
		IdleTimeout: cfg.Desk.IdleTimeout, LockAfter: cfg.Desk.LockAfter, LockFor: cfg.Desk.LockFor,
		AddrLimit: cfg.Desk.AddrLimit, AddrWindow: cfg.Desk.AddrWindow, FrameAncestors: cfg.Desk.FrameAncestors,
		Loc: cfg.TimeZone, HashInvite: bot.HashInviteCode, CaseChanged: func(id int64) { casework.DeskChanged(a.Bot, id) },
		URL: cfg.Desk.URL, InviteLink: func(code string) string { return bot.InviteLink(a.Bot.Username(), code) },
		ApprovalOver: cfg.AnnounceApprovalOver, Announced: announcements.Announced(a.Bot), Decided: announcements.Decided(a.Bot), Reacher: announcements.Reacher(a.Bot),
	}, a.log)
	if err != nil {
		ln.Close()
		return err
	}
	a.DeskAddr = ln.Addr().String()
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(d.Close) // live streams end, or Shutdown would wait for them
	go a.serve(srv, ln, "desk")
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return nil
}
