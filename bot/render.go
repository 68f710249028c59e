package bot

import (
	"context"
	"errors"
	"html"
	"time"
	"unicode/utf16"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/flows"
)

// maxText is Telegram's message limit, in UTF-16 code units after entities.
const maxText = 4096

func timeOf(unix int) time.Time { return time.Unix(int64(unix), 0).UTC() }

// deliver sends an outcome's replies to a private chat, in order. Sending
// happens after commit: a failure is logged, and the person's next input
// re-renders the step they are at.
func (b *Bot) deliver(ctx context.Context, to Target, lang string, out flows.Outcome, hideKeyboard bool) {
	chatID := to.ChatID
	for i, r := range out.Replies {
		if r.File != nil {
			// The file first, the text with its buttons last (report.go).
			if err := b.sendAttachment(ctx, chatID, lang, r.File); errors.Is(err, ErrUnreachable) {
				return
			}
		}
		text, markup := b.render(lang, r, out.Version)
		if r.AskContact {
			// A message carries either buttons or the share-phone keyboard:
			// the buttons go with the question, the keyboard just after.
			if markup != nil {
				if err := b.sendTextTo(ctx, to, text, markup); err != nil {
					return
				}
			}
			text = b.cat.T(lang, "share_contact_hint", nil)
			if markup == nil {
				text = b.cat.T(lang, r.Key, escapeParams(r.Params))
			}
			markup = b.contactKeyboard(lang)
		} else if hideKeyboard && i == 0 && markup == nil {
			markup = &models.ReplyKeyboardRemove{RemoveKeyboard: true}
		}
		if err := b.sendTextTo(ctx, to, text, markup); err != nil {
			return
		}
	}
}

// sendText sends one HTML message through the sender.
func (b *Bot) sendText(ctx context.Context, chatID int64, text string, markup models.ReplyMarkup) error {
	return b.sendTextTo(ctx, Target{ChatID: chatID}, text, markup)
}

// sendTextTo is sendText to a target that may be known reachable.
func (b *Bot) sendTextTo(ctx context.Context, to Target, text string, markup models.ReplyMarkup) error {
	chatID := to.ChatID
	if n := utf16Len(text); n > maxText {
		b.log.Error("message too long, cut", "chat", chatID, "len", n)
		text = cutText(text, maxText)
	}
	err := b.send.Do(ctx, to, "sendMessage", func(ctx context.Context) error {
		_, err := b.api.SendMessage(ctx, &tg.SendMessageParams{
			ChatID:             chatID,
			Text:               text,
			ParseMode:          models.ParseModeHTML,
			ReplyMarkup:        wireMarkup(markup),
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()},
		})
		return err
	})
	if err != nil && !errors.Is(err, ErrUnreachable) {
		b.log.Error("sending reply", "chat", chatID, "err", err)
	}
	return err
}

// utf16Len is the length Telegram counts: UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// cutText shortens plain text to n UTF-16 units; only reached by a bug,
// since catalog texts are short and user fields are capped by the flows.
func cutText(s string, n int) string {
	u := utf16.Encode([]rune(html.UnescapeString(s)))
	return html.EscapeString(string(utf16.Decode(u[:n-1]))) + "…"
}

// render turns a reply into HTML text and an inline keyboard.
func (b *Bot) render(lang string, r flows.Reply, version int64) (string, models.ReplyMarkup) {
	text := b.cat.T(lang, r.Key, escapeParams(r.Params))
	if len(r.Options) == 0 {
		return text, nil
	}
	kb := &models.InlineKeyboardMarkup{}
	for _, row := range r.Options {
		var buttons []models.InlineKeyboardButton
		for _, o := range row {
			data := callbackData(version, o.ID)
			if len(data) > 64 {
				b.log.Error("callback data over 64 bytes, button dropped", "option", o.ID)
				continue
			}
			label := o.Label
			if o.Key != "" {
				// Button labels are plain text: no escaping.
				label = b.cat.T(lang, o.Key, o.Params)
			}
			buttons = append(buttons, models.InlineKeyboardButton{Text: label, CallbackData: data})
		}
		if len(buttons) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, buttons)
		}
	}
	return text, kb
}

func (b *Bot) contactKeyboard(lang string) models.ReplyMarkup {
	return &models.ReplyKeyboardMarkup{
		Keyboard: [][]models.KeyboardButton{{{
			Text:           b.cat.T(lang, "share_contact_button", nil),
			RequestContact: true,
		}}},
		ResizeKeyboard:  true,
		OneTimeKeyboard: true,
	}
}

// escapeParams HTML-escapes text parameters: they are user or reference
// data, shown in parse mode HTML.
func escapeParams(p map[string]any) map[string]any {
	if len(p) == 0 {
		return p
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		switch s := v.(type) {
		case string:
			out[k] = html.EscapeString(s)
		case []string:
			e := make([]string, len(s))
			for i := range s {
				e[i] = html.EscapeString(s[i])
			}
			out[k] = e
		default:
			out[k] = v
		}
	}
	return out
}
