package app

import (
	"net/http"

	"reentrybot/config"
	"reentrybot/webchat"
)

// fileLinks is where the bot's download links point (bot.Options.FileLinks):
// none without a public address, and the person is told where else to
// get a file their channel cannot carry.
func fileLinks(cfg config.Config) string {
	if cfg.Reach.PublicURL == "" {
		return ""
	}
	return cfg.Reach.PublicURL + webchat.DownloadPath
}

// mountFileLinks serves the download links on the public listener, under
// /chat (which the proxy forwards, deploy/Caddyfile), web chat on or off.
func (a *App) mountFileLinks(mux *http.ServeMux, cfg config.Config) {
	if fileLinks(cfg) != "" {
		mux.Handle(webchat.DownloadPath, webchat.Downloads(a.DB, a.log))
	}
}
