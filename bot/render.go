package bot

import (
	"context"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/store"
)

// channel is the channel a person's address names, Telegram included; ok
// is false for one this bot does not run.
func (b *Bot) channel(name channel.Name) (Channel, bool) {
	if name == telegram.Name {
		return b.tg, true
	}
	ch, ok := b.channels[name]
	return ch, ok
}

// channelNames are the channels this bot runs, Telegram first.
func (b *Bot) channelNames() []string {
	names := []string{string(telegram.Name)}
	for name := range b.channels {
		names = append(names, string(name))
	}
	return names
}

// renderOutcome fits an outcome's replies to a channel (channel.Render),
// once for every channel. Where a button press cannot be acknowledged the
// outcome's short note (its toast) becomes a message of its own; a file
// the channel cannot carry goes as a download link, kept in tx
// (file_links.go); menu is the numbered list last shown, for a typed
// number to answer (nil: none).
func (b *Bot) renderOutcome(ctx context.Context, tx *store.Tx, personID int64, caps channel.Capabilities, lang string, out flows.Outcome) (msgs []channel.Message, menu *store.Menu, err error) {
	if out.Toast != "" && !caps.Ack {
		msgs = channel.Render(b.cat, lang, flows.Reply{Key: out.Toast}, out.Version, caps)
	}
	for _, r := range out.Replies {
		if f := r.File; f != nil && !caps.CanSendFile(f.MIME, int64(len(f.Data))) {
			linked, err := b.linkFile(ctx, tx, personID, caps, lang, f)
			if err != nil {
				return nil, nil, err
			}
			msgs = append(msgs, linked...) // where the file would go: before the reply's text
		}
		for _, m := range channel.Render(b.cat, lang, r, out.Version, caps) {
			if m.Menu != nil {
				menu = &store.Menu{Version: m.Menu.Version, IDs: m.Menu.IDs, ShownAt: b.now()}
			}
			msgs = append(msgs, m)
		}
	}
	return msgs, menu, nil
}

// sendText sends one HTML message to a Telegram chat (a staff member's, or
// the private chat an update came from) through the sender.
func (b *Bot) sendText(ctx context.Context, chatID int64, text string, markup models.ReplyMarkup) error {
	return b.tg.SendText(ctx, telegram.Target{ChatID: chatID}, text, markup)
}

// escapeParams HTML-escapes text parameters (channel.EscapeParams).
func escapeParams(p map[string]any) map[string]any { return channel.EscapeParams(p) }
