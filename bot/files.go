package bot

import (
	"bytes"
	"context"
	"errors"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
)

// sendFile uploads a document (or, with photo, a picture) through the
// sender. The upload is rebuilt for each attempt.
func (b *Bot) sendFile(ctx context.Context, chatID int64, photo bool, name string, data []byte, caption string) error {
	method := "sendDocument"
	if photo {
		method = "sendPhoto"
	}
	err := b.send.Do(ctx, telegram.Target{ChatID: chatID}, method, func(ctx context.Context) error {
		up := &models.InputFileUpload{Filename: name, Data: bytes.NewReader(data)}
		var err error
		if photo {
			_, err = b.api.SendPhoto(ctx, &tg.SendPhotoParams{ChatID: chatID, Photo: up, Caption: caption, ParseMode: models.ParseModeHTML})
		} else {
			_, err = b.api.SendDocument(ctx, &tg.SendDocumentParams{ChatID: chatID, Document: up, Caption: caption, ParseMode: models.ParseModeHTML})
		}
		return err
	})
	if err != nil && !errors.Is(err, channel.ErrUnreachable) {
		b.log.Error("sending a file", "chat", chatID, "method", method, "err", err)
	}
	return err
}

// sendAttachment sends a reply's file (render.go).
func (b *Bot) sendAttachment(ctx context.Context, chatID int64, lang string, a *flows.Attachment) error {
	caption := ""
	if a.Caption != "" {
		caption = b.cat.T(lang, a.Caption, escapeParams(a.CaptionParams))
	}
	return b.sendFile(ctx, chatID, false, a.Name, a.Data, caption)
}
