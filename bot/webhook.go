package bot

import (
	"net/http"

	"reentrybot/channel/telegram"
)

// WebhookHandler receives updates from Telegram (telegram.Webhook, checked
// against the webhook secret) and answers once they are in the intake
// inbox; handling follows in each chat's lane.
func (b *Bot) WebhookHandler() http.Handler {
	return telegram.Webhook(b.opts.WebhookSecret, b.log, b.receiveUpdates)
}
