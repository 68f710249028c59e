package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-telegram/bot/models"
)

// Webhook receives updates from Telegram and hands each to receive, which
// must make it durable (the intake inbox) before returning. It answers 401
// to a request without the right secret token (and to every request when
// no secret is set), 400 to what is not an update, 503 when receive
// failed, so that Telegram delivers it again, and 200 once receive
// returned: Telegram redelivers only what was not durably received and
// never waits for a slow handling. (go-telegram/bot's own handler answers
// 200 whatever happens.)
func Webhook(secret string, log *slog.Logger, receive func(ctx context.Context, ups []models.Update, raws []json.RawMessage) error) http.Handler {
	want := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(want) == 0 || subtle.ConstantTimeCompare(got, want) != 1 {
			log.Warn("webhook call without the right secret", "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var upd models.Update
		if err != nil || json.Unmarshal(raw, &upd) != nil || upd.ID == 0 {
			http.Error(w, "bad update", http.StatusBadRequest)
			return
		}
		if err := receive(r.Context(), []models.Update{upd}, []json.RawMessage{raw}); err != nil {
			log.Error("writing a webhook update to the inbox", "update", upd.ID, "err", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}
