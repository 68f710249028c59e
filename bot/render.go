package bot

import (
	"context"
	"errors"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
)

// deliver sends an outcome's replies to a private chat, in order. Sending
// happens after commit: a failure is logged, and the person's next input
// re-renders the step they are at.
func (b *Bot) deliver(ctx context.Context, to telegram.Target, lang string, out flows.Outcome, hideKeyboard bool) {
	first := true
	for _, r := range out.Replies {
		if r.File != nil {
			// The file first, the text with its buttons last (files.go).
			if err := b.sendAttachment(ctx, to.ChatID, lang, r.File); errors.Is(err, channel.ErrUnreachable) {
				return
			}
		}
		// The channel layer fits the reply to Telegram once (channel.Render).
		for _, m := range channel.Render(b.cat, lang, r, out.Version, telegram.Caps) {
			text, markup := m.Text, b.keyboard(m.Buttons)
			if m.AskContact {
				// A message carries either buttons or the share-phone
				// keyboard: the buttons go with the question, the
				// keyboard just after.
				if markup != nil {
					if err := b.sendTextTo(ctx, to, text, markup); err != nil {
						return
					}
					text = b.cat.T(lang, "share_contact_hint", nil)
				}
				markup = b.contactKeyboard(lang)
			} else if hideKeyboard && first && markup == nil {
				markup = &models.ReplyKeyboardRemove{RemoveKeyboard: true}
			}
			first = false
			if err := b.sendTextTo(ctx, to, text, markup); err != nil {
				return
			}
		}
	}
}

// sendText sends one HTML message through the sender.
func (b *Bot) sendText(ctx context.Context, chatID int64, text string, markup models.ReplyMarkup) error {
	return b.sendTextTo(ctx, telegram.Target{ChatID: chatID}, text, markup)
}

// sendTextTo is sendText to a target that may be known reachable. Text
// over Telegram's limit (only a bug makes one: replies are split by the
// channel layer) is cut rather than refused.
func (b *Bot) sendTextTo(ctx context.Context, to telegram.Target, text string, markup models.ReplyMarkup) error {
	chatID := to.ChatID
	if n := channel.Length(text, telegram.Caps); n > telegram.MaxText {
		b.log.Error("message too long, cut", "chat", chatID, "len", n)
		text = channel.Split(text, telegram.Caps)[0]
	}
	err := b.send.Do(ctx, to, "sendMessage", func(ctx context.Context) error {
		_, err := b.api.SendMessage(ctx, &tg.SendMessageParams{
			ChatID:             chatID,
			Text:               text,
			ParseMode:          models.ParseModeHTML,
			ReplyMarkup:        telegram.WireMarkup(markup),
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()},
		})
		return err
	})
	if err != nil && !errors.Is(err, channel.ErrUnreachable) {
		b.log.Error("sending reply", "chat", chatID, "err", err)
	}
	return err
}

// keyboard turns rendered buttons into Telegram's inline keyboard, nil
// for none.
func (b *Bot) keyboard(rows [][]channel.Button) models.ReplyMarkup {
	kb, dropped := telegram.Keyboard(rows)
	for _, d := range dropped {
		b.log.Error("callback data over 64 bytes, button dropped", "data", d)
	}
	return kb
}

func (b *Bot) contactKeyboard(lang string) models.ReplyMarkup {
	return telegram.ContactKeyboard(b.cat.T(lang, "share_contact_button", nil))
}

// escapeParams HTML-escapes text parameters (channel.EscapeParams).
func escapeParams(p map[string]any) map[string]any { return channel.EscapeParams(p) }
