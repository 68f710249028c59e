package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel/telegram"
	"reentrybot/store"
)

// poll is the long-polling intake. Unlike go-telegram/bot's own loop, it
// confirms updates (asks with a higher offset) only once they are written
// to the intake inbox: a crash before that gets them delivered again, a
// crash after leaves them in the inbox for the sweep. Handling happens in
// the chats' lanes meanwhile, so a slow update never holds up the next
// getUpdates.
func (b *Bot) poll(ctx context.Context) error {
	var offset int64
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if backoff > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
		}
		updates, raws, retryAfter, err := telegram.GetUpdates(ctx, b.client, b.opts.APIURL, b.opts.Token, offset, b.opts.PollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			backoff = min(max(backoff*2, 200*time.Millisecond), 10*time.Second)
			if retryAfter > 0 {
				backoff = retryAfter
			}
			b.log.Warn("getUpdates failed", "err", err, "wait", backoff)
			continue
		}
		backoff = 0
		if len(updates) == 0 {
			continue
		}
		if err := b.receiveUpdates(ctx, updates, raws); err != nil {
			// Not durable: ask for the same updates again.
			b.log.Error("writing updates to the inbox, will fetch them again", "first", updates[0].ID, "err", err)
			b.Metrics.Updates.WithLabelValues("intake", "retry").Add(float64(len(updates)))
			backoff = time.Second
			continue
		}
		offset = updates[len(updates)-1].ID + 1
	}
	// Confirm what was received, so a restart does not fetch it again.
	if offset > 0 {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
		defer cancel()
		if _, _, _, err := telegram.GetUpdates(cctx, b.client, b.opts.APIURL, b.opts.Token, offset, 0); err != nil {
			b.log.Warn("confirming offset at shutdown", "err", err)
		}
	}
	return nil
}

// receiveUpdates writes updates to the intake inbox in one statement and,
// once they are durable, hands each chat to its lane. A redelivered
// update adds nothing.
// raws, when given, are the updates as Telegram sent them (stored as
// they are, rather than encoded again).
// A chat whose updates were all new here and all take the returnee's way
// is handled from memory: its inbox rows are then only the record that
// makes them durable and once (handleReceived). Others are read back from
// the inbox (drainChat).
func (b *Bot) receiveUpdates(ctx context.Context, updates []models.Update, raws []json.RawMessage) error {
	rows := make([]store.InboxEvent, 0, len(updates))
	altered := make([]bool, len(updates)) // stored otherwise than received (jsonbSafe)
	for i := range updates {
		var raw []byte
		if len(raws) == len(updates) {
			raw = raws[i]
		} else {
			var err error
			if raw, err = json.Marshal(&updates[i]); err != nil {
				return fmt.Errorf("encoding update %d: %w", updates[i].ID, err)
			}
		}
		safe := jsonbSafe(raw)
		altered[i] = len(raw) > 0 && &safe[0] != &raw[0] // jsonbSafe copied it to change it
		rows = append(rows, store.InboxEvent{Channel: string(telegram.Name), EventID: strconv.FormatInt(updates[i].ID, 10),
			Address: strconv.FormatInt(telegram.ChatKey(&updates[i]), 10), Event: safe})
	}
	fresh, err := b.db.AddTelegramToInbox(ctx, rows)
	if err != nil {
		return err
	}
	var order []int64
	chats := map[int64][]*models.Update{}
	fromMemory := map[int64]bool{}
	for i := range updates {
		u, k := &updates[i], telegram.ChatKey(&updates[i])
		if _, ok := chats[k]; !ok {
			order = append(order, k)
			fromMemory[k] = true
		}
		chats[k] = append(chats[k], u)
		if !fresh[rows[i].EventID] || !b.returneeWay(u) || altered[i] {
			fromMemory[k] = false
		}
	}
	for _, k := range order {
		if fromMemory[k] && b.inMemory.Load() < maxInMemory {
			b.handleReceived(ctx, k, chats[k])
		} else {
			b.drainChat(ctx, k)
		}
	}
	return nil
}

// handleReceived handles updates of one chat that this process has just
// written to the inbox, in its lane, from memory. The handling statement
// marks each update's row, and refuses while an earlier update of the
// chat is unhandled (written by another process, or left by a crash):
// then the rest is read from the inbox in order (drainChat).
func (b *Bot) handleReceived(ctx context.Context, chat int64, ups []*models.Update) <-chan error {
	b.inMemory.Add(int64(len(ups)))
	return b.lanes.submit(ctx, chat, func(ctx context.Context) error {
		defer b.inMemory.Add(-int64(len(ups)))
		mctx := context.WithValue(ctx, fromMemoryKey{}, true)
		for _, u := range ups {
			err := b.handleUpdate(mctx, u)
			if errors.Is(err, errBehind) || errors.Is(err, errUseInbox) {
				b.drainChat(ctx, chat) // behind this job, in the same lane
				return nil
			}
			if err != nil {
				b.retrySoon(chat, func() { b.drainChat(b.sendCtx, chat) })
				return err
			}
		}
		return nil
	})
}

// jsonbSafe replaces the escaped NUL that PostgreSQL's jsonb refuses
// (a text holding one would otherwise keep its whole batch out of the
// inbox, fetched again forever) with U+FFFD.
func jsonbSafe(raw []byte) []byte {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw
	}
	return bytes.ReplaceAll(raw, []byte(`\u0000`), []byte(`\ufffd`))
}

// drainChat handles the chat's unhandled updates in its lane, oldest
// first. The handling transaction marks each handled (MarkUpdateSeen or
// SeenTouchAndState), which makes it once even when another process drains the
// same chat; an update is only offered once every earlier one of the chat
// has committed, which keeps the chat's order. A failure (the database
// away) leaves the rest to the sweep.
func (b *Bot) drainChat(ctx context.Context, chat int64) <-chan error {
	addr := strconv.FormatInt(chat, 10)
	return b.lanes.submit(ctx, chat, func(ctx context.Context) error {
		handled := map[int64]bool{} // by this drain: seen again, it was handled without a mark
		behindAgain := 0
		for {
			evs, err := b.db.OldestInboxEvents(ctx, string(telegram.Name), addr, drainBatch)
			if err != nil {
				b.retrySoon(chat, func() { b.drainChat(b.sendCtx, chat) })
				return err
			}
			if len(evs) == 0 {
				return nil
			}
			behind := false
			for _, e := range evs {
				var upd models.Update
				if handled[e.ID] || json.Unmarshal(e.Event, &upd) != nil {
					// Handled without a mark (nothing to record), or unreadable.
					if _, err := b.db.FinishInboxEventOnce(ctx, e.ID); err != nil {
						return err
					}
					continue
				}
				err := b.handleUpdate(ctx, &upd)
				if errors.Is(err, errBehind) && behindAgain < 3 {
					// An earlier update of the chat was written since
					// the read: read again, it comes first.
					behind, behindAgain = true, behindAgain+1
					break
				}
				if err != nil {
					b.retrySoon(chat, func() { b.drainChat(b.sendCtx, chat) })
					return err
				}
				handled[e.ID] = true
			}
			if behind {
				continue
			}
			if len(evs) < drainBatch {
				// All there was: what arrives later has its own drain
				// queued behind this one (receiveUpdates), or the sweep's.
				return nil
			}
		}
	})
}

// maxInMemory bounds the updates waiting in lanes from memory: when the
// bot falls behind, the backlog waits in the inbox rather than in the
// process's memory (peak RSS), and is read back in batches.
const maxInMemory = 500

// drainBatch is how many of a chat's events one inbox read takes.
const drainBatch = 16

// retrySoon runs drain again in a second, while the bot runs: a chat
// whose handling found the database away is taken up again as soon as it
// is back, without waiting for the sweep or the chat's next update.
// One retry at a time per lane: several drains that failed together
// need one more, not one each.
func (b *Bot) retrySoon(lane int64, drain func()) {
	if _, already := b.retrying.LoadOrStore(lane, true); already {
		return
	}
	time.AfterFunc(time.Second, func() {
		b.retrying.Delete(lane)
		if b.sendCtx.Err() == nil {
			drain()
		}
	})
}
