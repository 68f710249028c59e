package bot

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"

	"github.com/go-telegram/bot/models"
)

// WebhookHandler receives updates from Telegram. It answers 401 to a
// request without the right secret token, and 200 once the update is
// written to the intake inbox (handling follows in the chat's lane), so
// that Telegram redelivers only what was not durably received and never
// waits for a slow handling. (go-telegram/bot's own handler answers 200
// whatever happens.)
func (b *Bot) WebhookHandler() http.Handler {
	secret := []byte(b.opts.WebhookSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(secret) == 0 || subtle.ConstantTimeCompare(got, secret) != 1 {
			b.log.Warn("webhook call without the right secret", "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var upd models.Update
		if err != nil || json.Unmarshal(raw, &upd) != nil || upd.ID == 0 {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if err := b.receiveUpdates(r.Context(), []models.Update{upd}, []json.RawMessage{raw}); err != nil {
			b.log.Error("writing a webhook update to the inbox", "update", upd.ID, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
