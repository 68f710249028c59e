package announcements

import (
	"context"
	"errors"

	"reentrybot/announce"
	"reentrybot/bot"
	"reentrybot/channel"
	"reentrybot/store"
)

// The web desk's bridge (app/desk.go hands these to desk.Options).

// Announced returns what the staff desk in the browser tells b after it
// confirmed, approved or cancelled broadcast id: the workers wake at once
// rather than at their next poll, and a broadcast now waiting for
// approval is sent to the admins on Telegram with Approve / Reject, as
// one confirmed from Telegram is (either side may decide).
func Announced(b *bot.Bot) func(id int64) {
	return func(id int64) {
		ctx := b.SendContext()
		var fns []func()
		err := b.Store().InTx(ctx, func(tx *store.Tx) error {
			fns = nil // a retried transaction starts afresh
			bc, err := tx.Broadcast(ctx, id)
			if err != nil || bc.Status != store.BroadcastPending {
				return err
			}
			t := &turn{Bot: b, tx: tx, after: func(fn func()) { fns = append(fns, fn) }}
			return t.askApproval(ctx, bc, bc.Estimate)
		})
		if err == nil {
			for _, fn := range fns {
				fn()
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			b.Log().Warn("desk announcement: the admins are not asked on Telegram", "broadcast", id, "err", err)
		}
		workers(b).wake.notify()
	}
}

// Decided returns what the desk tells b after an admin approved or
// refused broadcast id there: its author is told on Telegram, as after
// the Approve / Reject buttons, and an approved one is delivered.
func Decided(b *bot.Bot) func(id int64, approve bool, admin string) {
	return func(id int64, approve bool, admin string) {
		ctx := b.SendContext()
		bc, err := b.Store().Broadcast(ctx, id)
		if err != nil {
			b.Log().Warn("desk decision: the author is not told", "broadcast", id, "err", err)
			return
		}
		if chat := bc.AuthorChatID; chat != 0 {
			key := "announce_approved_author"
			if !approve {
				key = "announce_rejected_author"
			}
			text := b.Catalog().T(bc.AuthorLang, key, map[string]any{"ID": id, "Name": bot.Escape(admin)})
			b.Queue(chat, func(ctx context.Context) { _ = b.SendMarkup(ctx, chat, text, nil) })
		}
		workers(b).wake.notify()
	}
}

// Reacher returns the function that finds a channel's announcement
// preview (Zalo's window), nil for a channel without one, for the
// desk's preview and the composer's summary.
func Reacher(b *bot.Bot) func(name string) announce.Reacher {
	return func(name string) announce.Reacher {
		ch, _ := b.Channel(channel.Name(name))
		r, _ := ch.(announce.Reacher)
		return r
	}
}
