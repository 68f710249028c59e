package bot

import (
	"errors"

	"reentrybot/announce"
	"reentrybot/channel"
	"reentrybot/store"
)

// DeskAnnounced is told by the staff desk in the browser after it
// confirmed, approved or cancelled broadcast id: the workers wake at once
// rather than at their next poll, and a broadcast now waiting for
// approval is sent to the admins on Telegram with Approve / Reject, as
// one confirmed from Telegram is (either side may decide).
func (b *Bot) DeskAnnounced(id int64) {
	ctx := b.sendCtx
	fx := &effects{}
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		fx.fns = nil
		bc, err := tx.Broadcast(ctx, id)
		if err != nil || bc.Status != store.BroadcastPending {
			return err
		}
		return b.askApproval(ctx, tx, fx, bc, bc.Estimate)
	})
	if err == nil {
		fx.run()
	} else if !errors.Is(err, store.ErrNotFound) {
		b.log.Warn("desk announcement: the admins are not asked on Telegram", "broadcast", id, "err", err)
	}
	b.bcast.wake.notify()
}

// DeskDecided is told by the desk after an admin approved or refused
// broadcast id there: its author is told on Telegram, as after the
// Approve / Reject buttons, and an approved one is delivered.
func (b *Bot) DeskDecided(id int64, approve bool, admin string) {
	ctx := b.sendCtx
	bc, err := b.db.Broadcast(ctx, id)
	if err != nil {
		b.log.Warn("desk decision: the author is not told", "broadcast", id, "err", err)
		return
	}
	if bc.AuthorChatID != 0 {
		key := "announce_approved_author"
		if !approve {
			key = "announce_rejected_author"
		}
		fx := &effects{}
		b.replyAfter(fx, bc.AuthorChatID, b.cat.T(bc.AuthorLang, key, map[string]any{"ID": id, "Name": escape(admin)}), nil)
		fx.run()
	}
	b.bcast.wake.notify()
}

// Reacher returns the channel name's announcement preview (Zalo's
// window), nil for a channel without one, for the desk's preview.
func (b *Bot) Reacher(name string) announce.Reacher {
	r, _ := b.channels[channel.Name(name)].(announce.Reacher)
	return r
}
