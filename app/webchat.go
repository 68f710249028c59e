package app

import (
	"context"
	"log/slog"
	"net/http"

	"reentrybot/bot"
	"reentrybot/config"
	"reentrybot/store"
	"reentrybot/webchat"
)

// startWebChat makes the web chat channel (WEBCHAT) and gives it to the
// bot; nil when it is off.
func startWebChat(ctx context.Context, cfg config.Config, b *bot.Bot, db *store.DB, log *slog.Logger) (*webchat.Channel, error) {
	if !cfg.WebChat.On {
		return nil, nil
	}
	wc, err := webchat.New(ctx, db, webchat.Options{
		PushSubject:    cfg.WebChat.PushSubject,
		FrameAncestors: cfg.WebChat.FrameAncestors,
	}, log)
	if err != nil {
		return nil, err
	}
	b.AddChannel(wc)
	wc.Attach(b)
	return wc, nil
}

// mountWebChat serves /chat on the public listener.
func (a *App) mountWebChat(mux *http.ServeMux) {
	if a.WebChat == nil {
		return
	}
	h := a.WebChat.Handler()
	mux.Handle(webchat.Path, h)
	mux.Handle(webchat.Path+"/", h)
}
