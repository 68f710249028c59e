package bot

import (
	"context"
	"errors"

	tg "github.com/go-telegram/bot"
)

// erasePosts deletes the messages the bot posted about erased people
// outside their topics (a counsellor's private chat: cards, relayed
// messages). Telegram deletes only messages under 48 hours old: an older
// one is edited to a neutral line instead. A failure other than a refusal
// waits for the next sweep.
func (b *Bot) erasePosts(ctx context.Context) {
	posts, err := b.db.PostsToErase(ctx, 200)
	if err != nil {
		b.log.Warn("sweep: posts to erase", "err", err)
		return
	}
	for _, p := range posts {
		t := Target{ChatID: p.ChatID, Group: p.ChatID < 0, Fresh: true}
		err := b.send.Do(ctx, t, "deleteMessage", func(ctx context.Context) error {
			_, err := b.api.DeleteMessage(ctx, &tg.DeleteMessageParams{ChatID: p.ChatID, MessageID: p.Message})
			return err
		})
		var perm *PermanentError
		if errors.As(err, &perm) {
			err = b.send.Do(ctx, t, "editMessageText", func(ctx context.Context) error {
				_, err := b.api.EditMessageText(ctx, &tg.EditMessageTextParams{ChatID: p.ChatID, MessageID: p.Message, Text: b.cat.T(groupLang, "post_erased", nil)})
				return err
			})
			if errors.As(err, &perm) { // gone already, or not a text: nothing more to do
				b.log.Info("an erased person's message could be neither deleted nor blanked", "chat", p.ChatID, "reason", perm.Reason)
				err = nil
			}
		}
		if errors.Is(err, ErrUnreachable) {
			err = nil // the counsellor blocked the bot: nothing the bot can do
		}
		if err != nil {
			b.log.Warn("sweep: erasing a message, the next sweep retries", "chat", p.ChatID, "err", err)
			continue
		}
		if err := b.db.PostErased(ctx, p.ID); err != nil {
			b.log.Warn("sweep: forgetting an erased message", "err", err)
		}
	}
}
