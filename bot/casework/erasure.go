package casework

import (
	"context"
	"errors"
	"reentrybot/channel"
	"reentrybot/channel/telegram"

	tg "github.com/go-telegram/bot"
)

// erasePosts deletes the messages the bot posted about erased people
// outside their topics (a counsellor's private chat: cards, relayed
// messages). Telegram deletes only messages under 48 hours old: an older
// one is edited to a neutral line instead. A failure other than a refusal
// waits for the next sweep.
func (b desk) erasePosts(ctx context.Context) {
	posts, err := b.Store().PostsToErase(ctx, 200)
	if err != nil {
		b.Log().Warn("sweep: posts to erase", "err", err)
		return
	}
	for _, p := range posts {
		t := telegram.Target{ChatID: p.ChatID, Group: p.ChatID < 0, Fresh: true}
		err := b.Sender().Do(ctx, t, "deleteMessage", func(ctx context.Context) error {
			_, err := b.API().DeleteMessage(ctx, &tg.DeleteMessageParams{ChatID: p.ChatID, MessageID: p.Message})
			return err
		})
		var perm *channel.PermanentError
		if errors.As(err, &perm) {
			err = b.Sender().Do(ctx, t, "editMessageText", func(ctx context.Context) error {
				_, err := b.API().EditMessageText(ctx, &tg.EditMessageTextParams{ChatID: p.ChatID, MessageID: p.Message, Text: b.Catalog().T(groupLang, "post_erased", nil)})
				return err
			})
			if errors.As(err, &perm) { // gone already, or not a text: nothing more to do
				b.Log().Info("an erased person's message could be neither deleted nor blanked", "chat", p.ChatID, "reason", perm.Reason)
				err = nil
			}
		}
		if errors.Is(err, channel.ErrUnreachable) {
			err = nil // the counsellor blocked the bot: nothing the bot can do
		}
		if err != nil {
			b.Log().Warn("sweep: erasing a message, the next sweep retries", "chat", p.ChatID, "err", err)
			continue
		}
		if err := b.Store().PostErased(ctx, p.ID); err != nil {
			b.Log().Warn("sweep: forgetting an erased message", "err", err)
		}
	}
}
