package telegram

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
)

// Channel delivers what the bot says to a person on Telegram, as every
// channel's package does: a channel.Message, already fitted to Caps by
// channel.Render, becomes one Bot API call (two where a question carries
// both buttons and the share-phone keyboard), through the Sender.
type Channel struct {
	api    *tg.Bot
	send   *Sender
	client *http.Client // downloads (Fetch); the Bot API client's own is not exposed
	log    *slog.Logger
}

// NewChannel returns Telegram's channel over a Bot API client, the sender
// every delivering call goes through, and the HTTP client files are
// downloaded with (http.DefaultClient when nil).
func NewChannel(api *tg.Bot, s *Sender, client *http.Client, log *slog.Logger) *Channel {
	if client == nil {
		client = http.DefaultClient
	}
	return &Channel{api: api, send: s, client: client, log: log.With("channel", string(Name))}
}

// Name is "telegram".
func (c *Channel) Name() channel.Name { return Name }

// Capabilities are Caps.
func (c *Channel) Capabilities() channel.Capabilities { return Caps }

// Send delivers m to the private chat to names. Errors are the sender's
// outcomes (channel.ErrUnreachable, *channel.PermanentError, …). An answer
// to what the person just wrote (channel.PurposeReply) skips the sender's
// reachability lookup: handling their input marked them reachable.
func (c *Channel) Send(ctx context.Context, to channel.Address, m channel.Message) error {
	chat, err := strconv.ParseInt(to.Ref, 10, 64)
	if to.Channel != Name || err != nil {
		return &channel.PermanentError{Method: "send", Reason: "not a Telegram chat: " + to.String()}
	}
	t := Target{ChatID: chat, Fresh: m.Purpose == channel.PurposeReply}
	if m.File != nil {
		return c.sendFile(ctx, t, m)
	}
	markup := c.keyboard(m.Buttons)
	text := m.Text
	switch {
	case m.AskContact:
		// A message carries either buttons or the share-phone keyboard:
		// the buttons go with the question, the keyboard with a hint just
		// after.
		if markup != nil {
			if err := c.SendText(ctx, t, text, markup); err != nil {
				return err
			}
			text = m.ContactHint
		}
		markup = ContactKeyboard(m.ContactLabel)
	case m.ClearContact && markup == nil:
		markup = &models.ReplyKeyboardRemove{RemoveKeyboard: true}
	}
	return c.SendText(ctx, t, text, markup)
}

// SendText sends one HTML text with markup (nil for none) through the
// sender: what a channel.Message cannot say (a staff member's keyboards)
// goes this way. Text over Telegram's limit (only a bug makes one: the
// channel layer splits replies) is cut rather than refused.
func (c *Channel) SendText(ctx context.Context, t Target, text string, markup models.ReplyMarkup) error {
	if n := channel.Length(text, Caps); n > MaxText {
		c.log.Error("message too long, cut", "chat", t.ChatID, "len", n)
		text = channel.Split(text, Caps)[0]
	}
	err := c.send.Do(ctx, t, "sendMessage", func(ctx context.Context) error {
		_, err := c.api.SendMessage(ctx, &tg.SendMessageParams{
			ChatID:             t.ChatID,
			Text:               text,
			ParseMode:          models.ParseModeHTML,
			ReplyMarkup:        WireMarkup(markup),
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tg.True()},
		})
		return err
	})
	if err != nil && !errors.Is(err, channel.ErrUnreachable) {
		c.log.Error("sending a message", "chat", t.ChatID, "err", err)
	}
	return err
}

// SendFile uploads a document, or with photo a picture, with an HTML
// caption, through the sender. The upload is rebuilt for each attempt.
func (c *Channel) SendFile(ctx context.Context, t Target, photo bool, name string, data []byte, caption string) error {
	_, err := c.UploadFile(ctx, t, photo, name, data, caption)
	return err
}

// UploadFile is SendFile that also returns the message's id (what an
// erasure deletes), into t's topic when t.Thread is set.
func (c *Channel) UploadFile(ctx context.Context, t Target, photo bool, name string, data []byte, caption string) (int, error) {
	method := "sendDocument"
	if photo {
		method = "sendPhoto"
	}
	var id int
	err := c.send.Do(ctx, t, method, func(ctx context.Context) error {
		up := &models.InputFileUpload{Filename: name, Data: bytes.NewReader(data)}
		var (
			m   *models.Message
			err error
		)
		if photo {
			m, err = c.api.SendPhoto(ctx, &tg.SendPhotoParams{ChatID: t.ChatID, MessageThreadID: t.Thread, Photo: up, Caption: caption, ParseMode: models.ParseModeHTML})
		} else {
			m, err = c.api.SendDocument(ctx, &tg.SendDocumentParams{ChatID: t.ChatID, MessageThreadID: t.Thread, Document: up, Caption: caption, ParseMode: models.ParseModeHTML})
		}
		if err == nil {
			id = m.ID
		}
		return err
	})
	if err != nil && !errors.Is(err, channel.ErrUnreachable) {
		c.log.Error("sending a file", "chat", t.ChatID, "method", method, "err", err)
	}
	return id, err
}

// sendFile sends a message's file as a document, its text the caption
// (Render keeps a caption within a message's length; Telegram allows
// 1024 characters, so a longer one goes as a message of its own).
func (c *Channel) sendFile(ctx context.Context, t Target, m channel.Message) error {
	caption := m.Text
	if channel.Length(caption, Caps) > MaxCaption {
		caption = ""
	}
	if err := c.SendFile(ctx, t, false, m.File.Name, m.File.Data, caption); err != nil || caption != "" || m.Text == "" {
		return err
	}
	return c.SendText(ctx, t, m.Text, nil)
}

// keyboard turns rendered buttons into an inline keyboard, nil for none.
func (c *Channel) keyboard(rows [][]channel.Button) models.ReplyMarkup {
	kb, dropped := Keyboard(rows)
	for _, d := range dropped {
		c.log.Error("callback data over 64 bytes, button dropped", "data", d)
	}
	return kb
}
