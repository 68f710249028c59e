package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/store"
)

// Answers go out after the update's transaction commits. A process that
// dies in between leaves a person who wrote and never heard back, their
// progress saved but no question in front of them. So every answer sent is
// recorded (in batches, off the handling path), and a conversation whose
// answer was not recorded within RepeatAfter is asked again.

// answered collects conversation versions whose answers went out, written
// to the database once a second.
type answered struct {
	mu      sync.Mutex
	pending map[int64]int64 // person id → version
}

func (a *answered) add(personID, version int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.pending == nil {
		a.pending = map[int64]int64{}
	}
	if version > a.pending[personID] {
		a.pending[personID] = version
	}
}

func (a *answered) take() map[int64]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.pending
	a.pending = nil
	return p
}

// flushAnswered writes the collected versions; on failure they are kept
// for the next try.
func (b *Bot) flushAnswered(ctx context.Context) {
	p := b.answers.take()
	if len(p) == 0 {
		return
	}
	if err := b.db.MarkAnswered(ctx, p); err != nil {
		if ctx.Err() == nil {
			b.log.Warn("recording answers sent, retried", "err", err)
		}
		for id, v := range p {
			b.answers.add(id, v)
		}
	}
}

// answerKeeper flushes the answers sent every second and asks again where
// an answer was lost, until ctx ends; it flushes once more at the end.
func (b *Bot) answerKeeper(ctx context.Context) {
	every := min(max(b.opts.RepeatAfter/4, 250*time.Millisecond), 15*time.Second)
	flush := time.NewTicker(time.Second)
	repeat := time.NewTicker(every)
	defer flush.Stop()
	defer repeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			b.flushAnswered(ctx)
		case <-repeat.C:
			b.repeatLost(ctx)
		}
	}
}

// repeatLost asks again where an answer was not recorded as sent within
// RepeatAfter of the update: the process that handled it stopped first.
func (b *Bot) repeatLost(ctx context.Context) {
	ids, err := b.db.Unanswered(ctx, b.channelNames(), b.opts.RepeatAfter, 24*time.Hour, 100, b.now())
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("listing unanswered conversations", "err", err)
		}
		return
	}
	for _, id := range ids {
		if err := b.repeatOne(ctx, id); err != nil && ctx.Err() == nil {
			b.log.Warn("asking again after a lost answer", "person", id, "err", err)
		}
	}
}

func (b *Bot) repeatOne(ctx context.Context, personID int64) error {
	var (
		out    flows.Outcome
		person store.Person
		asked  bool
	)
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		var waiting bool
		var err error
		// Locks the person and checks again: another process may have
		// answered, or be handling their next update.
		if person, waiting, err = tx.Unanswered(ctx, personID, b.opts.RepeatAfter, b.now()); err != nil || !waiting {
			return err
		}
		if !person.Reachable {
			return tx.MarkAnswered(ctx, personID) // nothing can reach them
		}
		caps, _ := b.Capabilities(channel.Name(person.Channel))
		out, asked, err = b.engine.Repeat(ctx, tx, flows.Person{ID: person.ID, Lang: person.Language, Carrier: caps.Carrier, CarrierAbroad: caps.Abroad})
		if err != nil || asked {
			return err
		}
		return tx.MarkAnswered(ctx, personID)
	})
	if err != nil || !asked {
		return err
	}
	b.log.Info("answer lost, question asked again", "person", personID)
	lang := out.Lang
	if lang == "" {
		lang = person.Language
	}
	ch, ok := b.channel(channel.Name(person.Channel))
	if !ok {
		return fmt.Errorf("person %d is on %q, a channel this bot does not run", personID, person.Channel)
	}
	// Rendered under the channel's capabilities, its numbered list kept
	// for a typed answer, as handleNextOnce does.
	to := channel.Address{Channel: ch.Name(), Ref: person.ChatRef}
	var msgs []channel.Message
	if err := b.db.InTx(ctx, func(tx *store.Tx) error {
		m, menu, err := b.renderOutcome(ctx, tx, person.ID, ch.Capabilities(), lang, out)
		if err != nil {
			return err
		}
		msgs = m
		if menu == nil {
			return nil
		}
		return tx.SaveMenu(ctx, person.ID, menu)
	}); err != nil {
		return err
	}
	b.outbox.submit(b.sendCtx, laneKey(to), func(context.Context) error {
		b.sendOn(ch, person.ID, to, msgs)
		b.sentAnswer(person.ID, out.Version)
		return nil
	})
	return nil
}

// sentAnswer records, after deliver, that the answer to this version is
// done with (sent, or the person cannot be reached). Not while shutting
// down: replies dropped then are asked again later.
func (b *Bot) sentAnswer(personID, version int64) {
	if b.sendCtx.Err() == nil && version > 0 {
		b.answers.add(personID, version)
	}
}
