package bot

import (
	"context"
	"errors"
	"reentrybot/channel"
	"reentrybot/channel/telegram"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// lastMessageID is the newest message id of the update's private chat:
// the text itself, or the message whose button was pressed.
func lastMessageID(upd *models.Update) int {
	switch {
	case upd.Message != nil:
		return upd.Message.ID
	case upd.CallbackQuery != nil && upd.CallbackQuery.Message.Message != nil:
		return upd.CallbackQuery.Message.Message.ID
	}
	return 0
}

// eraseChats deletes an erased person's own chat with the bot, a hundred
// ids at a time, newest first (Telegram skips ids it cannot find or may
// not delete: over 48 hours old). Each chunk is recorded, so a restart
// goes on where it stopped.
func (b *Bot) eraseChats(ctx context.Context) {
	rows, err := b.db.ChatErasures(ctx, 20)
	if err != nil {
		b.log.Warn("sweep: chat erasures", "err", err)
		return
	}
	for _, r := range rows {
		for to := r.To; to >= r.From && ctx.Err() == nil; to -= 100 {
			ids := make([]int, 0, 100)
			for id := to; id > to-100 && id >= r.From; id-- {
				ids = append(ids, id)
			}
			err := b.send.Do(ctx, telegram.Target{ChatID: r.ChatID, Fresh: true}, "deleteMessages", func(ctx context.Context) error {
				_, err := b.api.DeleteMessages(ctx, &tg.DeleteMessagesParams{ChatID: r.ChatID, MessageIDs: ids})
				return err
			})
			var perm *channel.PermanentError
			next := to - 100
			switch {
			case errors.Is(err, channel.ErrUnreachable), errors.As(err, &perm):
				// Blocked, or nothing there to delete: the rest neither,
				// so the whole range is recorded as done.
				b.log.Info("an erased person's chat could not be cleared further", "err", err)
				next = r.From - 1
			case err != nil:
				b.log.Warn("clearing an erased person's chat, the next sweep goes on", "err", err)
				return
			}
			if err := b.db.ChatErasedDownTo(ctx, r.ID, next); err != nil {
				b.log.Warn("recording a chat erasure", "err", err)
				return
			}
			if next < r.From {
				break
			}
		}
	}
}
