package bot

import (
	"context"
	"errors"

	tg "github.com/go-telegram/bot"

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
func (b *Bot) mirrorDesk(caseID int64) {
	b.relays.submit(b.sendCtx, relayKey(caseID, relayTopic), func(context.Context) error {
		for {
			more, err := b.mirrorOne(b.sendCtx, caseID)
			if err != nil {
				if !errors.Is(err, errNotYet) && b.sendCtx.Err() == nil {
					b.log.Warn("desk post paused, the sweeper will retry", "case", caseID, "err", err)
				}
				return nil
			}
			if !more {
				return nil
			}
		}
	})
}

// mirrorOne posts the oldest pending desk event of the case, holding its
// row so that another process does not post it too.
func (b *Bot) mirrorOne(ctx context.Context, caseID int64) (more bool, err error) {
	err = b.db.InTx(ctx, func(tx *store.Tx) error {
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
			if _, ok, err := b.db.GroupFor(ctx, c.CommuneCode.String); err != nil || ok && c.Open() {
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
func (b *Bot) postDeskEvent(ctx context.Context, c store.Case, ev store.CaseEvent) error {
	chat, thread := c.TopicChatID.Int64, int(c.TopicThreadID.Int64)
	name := escape(b.cat.T(groupLang, "desk_signature", map[string]any{"Name": b.staffName(ctx, ev.StaffID.Int64)}))
	var text string
	switch ev.Kind {
	case "message":
		text = b.cat.T(groupLang, "desk_answered", map[string]any{"Name": name, "Text": escape(ev.Body.String)})
	case "note":
		text = b.cat.T(groupLang, "desk_noted", map[string]any{"Name": name, "Text": escape(ev.Body.String)})
	case "assigned":
		text = b.cat.T(groupLang, "topic_taken", map[string]any{"Name": name})
	case "closed":
		text = b.cat.T(groupLang, "topic_closed", map[string]any{"Outcome": b.cat.T(groupLang, "outcome_"+ev.Body.String, nil), "Name": name})
	case "reopened":
		// The topic opens first, or the post would land in a closed topic.
		err := b.send.Do(ctx, telegram.Target{ChatID: chat, Group: true}, "reopenForumTopic", func(ctx context.Context) error {
			_, err := b.api.ReopenForumTopic(ctx, &tg.ReopenForumTopicParams{ChatID: chat, MessageThreadID: thread})
			return err
		})
		var perm *channel.PermanentError
		if err != nil && !errors.As(err, &perm) { // refused: it was open
			return err
		}
		text = b.cat.T(groupLang, "desk_reopened", map[string]any{"Name": name, "ID": c.ID, "Reason": escape(ev.Body.String)})
	default:
		return &channel.PermanentError{Method: "desk post", Reason: "unknown event kind " + ev.Kind}
	}
	_, err := b.sendGroupMsg(ctx, chat, thread, text, nil)
	return err
}

// sweepDeskPosts retries the desk events not yet posted (a crash, an
// outage, a topic opened since).
func (b *Bot) sweepDeskPosts(ctx context.Context) {
	ids, err := b.db.PendingMirrors(ctx)
	if err != nil {
		b.log.Warn("sweep: pending desk posts", "err", err)
		return
	}
	for _, id := range ids {
		b.mirrorDesk(id)
	}
}
