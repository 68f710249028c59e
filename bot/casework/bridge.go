package casework

import (
	"context"
	"errors"

	tg "github.com/go-telegram/bot"

	"reentrybot/bot"
	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/store"
)

// What a counsellor does at the web desk (package desk) is posted in the
// case's topic, signed "(web) Name": answers, internal notes, take, close
// and reopen. The desk marks those events (store.MirrorToTopic) in the
// same transaction as the action, so a crash delays a post but never
// drops it; the sweep retries. What is done in Telegram is a case event
// already, which the desk shows.

// mirrorDesk posts a case's pending desk events in its topic, in the lane
// of the case's topic relay, so they keep their order with the person's
// messages and come before the card's refresh (which may close the topic).
func (b desk) mirrorDesk(caseID int64) {
	b.InCaseLane(relayKey(caseID, store.RelayTopic), func(context.Context) {
		for {
			more, err := b.mirrorOne(b.SendContext(), caseID)
			if err != nil {
				if !errors.Is(err, errNotYet) && b.SendContext().Err() == nil {
					b.Log().Warn("desk post paused, the sweeper will retry", "case", caseID, "err", err)
				}
				return
			}
			if !more {
				return
			}
		}
	})
}

// mirrorOne posts the oldest pending desk event of the case, holding its
// row so that another process does not post it too.
func (b desk) mirrorOne(ctx context.Context, caseID int64) (more bool, err error) {
	err = b.Store().InTx(ctx, func(tx *store.Tx) error {
		ev, ok, err := tx.NextMirror(ctx, caseID)
		if err != nil || !ok {
			return err
		}
		c, err := tx.Case(ctx, caseID)
		if err != nil {
			return err
		}
		if !c.TopicThreadID.Valid {
			// A topic still to open (the sweep opens it for an open case)
			// waits; a case of a commune without a staff group is worked
			// from private chats, where the desk's work is not repeated,
			// and an erased case's topic is gone.
			if _, ok, err := b.Store().GroupFor(ctx, c.CommuneCode.String); err != nil || ok && c.Open() {
				if err == nil {
					err = errNotYet
				}
				return err
			}
			more = true
			return tx.FinishMirror(ctx, ev.ID, "no topic")
		}
		if ev.Kind != "assigned" && !ev.Body.Valid { // erased meanwhile (every other desk event has a body)
			more = true
			return tx.FinishMirror(ctx, ev.ID, "erased")
		}
		sendErr := b.postDeskEvent(ctx, c, ev)
		var perm *channel.PermanentError
		switch {
		case sendErr == nil:
			more = true
			return tx.FinishMirror(ctx, ev.ID, "")
		case errors.As(sendErr, &perm):
			more = true
			return tx.FinishMirror(ctx, ev.ID, perm.Reason)
		}
		return sendErr
	})
	return more, err
}

// postDeskEvent says in the topic what was done at the desk.
func (b desk) postDeskEvent(ctx context.Context, c store.Case, ev store.CaseEvent) error {
	chat, thread := c.TopicChatID.Int64, int(c.TopicThreadID.Int64)
	name := bot.Escape(b.Catalog().T(groupLang, "desk_signature", map[string]any{"Name": b.staffName(ctx, ev.StaffID.Int64)}))
	var text string
	switch ev.Kind {
	case "message":
		text = b.Catalog().T(groupLang, "desk_answered", map[string]any{"Name": name, "Text": bot.Escape(ev.Body.String)})
	case "note":
		text = b.Catalog().T(groupLang, "desk_noted", map[string]any{"Name": name, "Text": bot.Escape(ev.Body.String)})
	case "assigned":
		text = b.Catalog().T(groupLang, "topic_taken", map[string]any{"Name": name})
	case "closed":
		text = b.Catalog().T(groupLang, "topic_closed", map[string]any{"Outcome": b.Catalog().T(groupLang, "outcome_"+ev.Body.String, nil), "Name": name})
	case "reopened":
		// The topic opens first, or the post would land in a closed topic.
		err := b.Sender().Do(ctx, telegram.Target{ChatID: chat, Group: true}, "reopenForumTopic", func(ctx context.Context) error {
			_, err := b.API().ReopenForumTopic(ctx, &tg.ReopenForumTopicParams{ChatID: chat, MessageThreadID: thread})
			return err
		})
		var perm *channel.PermanentError
		if err != nil && !errors.As(err, &perm) { // refused: it was open
			return err
		}
		text = b.Catalog().T(groupLang, "desk_reopened", map[string]any{"Name": name, "ID": c.ID, "Reason": bot.Escape(ev.Body.String)})
	default:
		return &channel.PermanentError{Method: "desk post", Reason: "unknown event kind " + ev.Kind}
	}
	_, err := b.sendGroupMsg(ctx, chat, thread, text, nil)
	return err
}

// sweepDeskPosts retries the desk events not yet posted (a crash, an
// outage, a topic opened since).
func (b desk) sweepDeskPosts(ctx context.Context) {
	ids, err := b.Store().PendingMirrors(ctx)
	if err != nil {
		b.Log().Warn("sweep: pending desk posts", "err", err)
		return
	}
	for _, id := range ids {
		b.mirrorDesk(id)
	}
}

// DeskChanged is told by the staff desk in the browser (package desk)
// after it took, answered or closed a case in the store: the answer or
// the closing notice goes to the person now rather than at the next
// sweep, and the case's topic card shows who has it or that it closed,
// so Telegram sees what was done on the web.
func DeskChanged(b *bot.Bot, caseID int64) { desk{b}.changed(caseID) }

func (b desk) changed(caseID int64) {
	b.kickRelay(caseID, store.RelayReturnee)
	b.mirrorDesk(caseID) // posted in the topic before the card closes it
	b.InCaseLane(relayKey(caseID, store.RelayTopic), func(context.Context) {
		ctx := b.SendContext()
		var (
			fx *bot.Effects
			c  store.Case
		)
		err := b.Store().InTx(ctx, func(tx *store.Tx) error {
			fx = &bot.Effects{} // a retried attempt starts afresh
			var err error
			if c, err = tx.Case(ctx, caseID); err != nil {
				return err
			}
			return b.refreshCard(ctx, tx, fx, c)
		})
		if err != nil {
			b.Log().Warn("desk change: the topic card stays as it was", "case", caseID, "err", err)
			return
		}
		fx.Run()
		if !c.Open() && c.TopicThreadID.Valid {
			b.topicOpen(c.TopicChatID.Int64, int(c.TopicThreadID.Int64), false)
		}
	})
}
