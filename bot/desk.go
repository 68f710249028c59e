package bot

import (
	"context"

	"reentrybot/store"
)

// DeskChanged is told by the staff desk in the browser (package desk)
// after it took, answered or closed a case in the store: the answer or
// the closing notice goes to the person now rather than at the next
// sweep, and the case's topic card shows who has it or that it closed,
// so Telegram sees what was done on the web.
func (b *Bot) DeskChanged(caseID int64) {
	b.kickRelay(caseID, relayReturnee)
	b.mirrorDesk(caseID) // desk_bridge.go: posted in the topic before the card closes it
	b.relays.submit(b.sendCtx, relayKey(caseID, relayTopic), func(context.Context) error {
		ctx := b.sendCtx
		fx := &effects{}
		var c store.Case
		err := b.db.InTx(ctx, func(tx *store.Tx) error {
			fx.fns = nil
			var err error
			if c, err = tx.Case(ctx, caseID); err != nil {
				return err
			}
			return b.refreshCard(ctx, tx, fx, c)
		})
		if err != nil {
			b.log.Warn("desk change: the topic card stays as it was", "case", caseID, "err", err)
			return nil
		}
		fx.run()
		if !c.Open() && c.TopicThreadID.Valid {
			b.topicOpen(c.TopicChatID.Int64, int(c.TopicThreadID.Int64), false)
		}
		return nil
	})
}
