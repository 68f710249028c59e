package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
	"reentrybot/textfold"
)

// Channel is a messenger other than Telegram that carries returnees'
// conversations (Zalo, the web chat; a test channel in tests). Its
// package turns the messenger's updates into channel.Events for
// HandleEvent and sends what the bot says; the bot renders every reply
// under its Capabilities (channel.Render). Staff stay on Telegram.
type Channel interface {
	Name() channel.Name
	Capabilities() channel.Capabilities
	// Send delivers one message; a *channel.Error says why not.
	Send(ctx context.Context, to channel.Address, m channel.Message) error
}

// AddChannel makes the bot handle c's events; call it before Run.
func (b *Bot) AddChannel(c Channel) {
	if b.channels == nil {
		b.channels = map[channel.Name]Channel{}
	}
	b.channels[c.Name()] = c
}

// Receive writes events to the intake inbox and returns once they are
// durable: the channel's package then answers its messenger (a webhook
// must answer within seconds). Each person's events are then handled in
// the order they arrived, once, by whichever process holds the person;
// events a crash left unhandled are picked up by the sweep.
func (b *Bot) Receive(ctx context.Context, evs ...channel.Event) error {
	rows := make([]store.InboxEvent, 0, len(evs))
	for _, ev := range evs {
		if _, ok := b.channels[ev.From.Channel]; !ok || ev.ID == "" || ev.From.Ref == "" {
			return fmt.Errorf("event %q from %s: unknown channel or no id", ev.ID, ev.From)
		}
		raw, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("encoding event %s: %w", ev.ID, err)
		}
		rows = append(rows, store.InboxEvent{Channel: string(ev.From.Channel), EventID: ev.ID, Address: ev.From.Ref, Event: jsonbSafe(raw)})
	}
	if _, err := b.db.AddToInbox(ctx, rows); err != nil {
		return err
	}
	seen := map[channel.Address]bool{}
	for _, ev := range evs {
		if !seen[ev.From] {
			seen[ev.From] = true
			b.drainInbox(ctx, ev.From)
		}
	}
	return nil
}

// HandleEvent is Receive of one event, then waits: the returned channel
// yields nil once the person's inbox has been handled up to it.
func (b *Bot) HandleEvent(ctx context.Context, ev channel.Event) <-chan error {
	if err := b.Receive(ctx, ev); err != nil {
		done := make(chan error, 1)
		done <- err
		return done
	}
	return b.drainInbox(ctx, ev.From)
}

// drainInbox handles the person's unhandled events in their lane, oldest
// first.
func (b *Bot) drainInbox(ctx context.Context, to channel.Address) <-chan error {
	return b.lanes.submit(ctx, laneKey(to), func(ctx context.Context) error {
		for {
			more, err := b.handleNext(ctx, to)
			if err != nil {
				b.retrySoon(laneKey(to), func() { b.drainInbox(b.sendCtx, to) })
			}
			if err != nil || !more {
				return err
			}
		}
	})
}

// laneKey maps an address to a lane. Telegram's lanes are keyed by chat
// id (poll.go); other channels' by a hash, negative and below every
// Telegram group id, so that the two never share a lane (two addresses
// that collide would only wait for each other).
func laneKey(a channel.Address) int64 {
	if a.Channel == telegram.Name {
		if chat, err := strconv.ParseInt(a.Ref, 10, 64); err == nil {
			return chat
		}
	}
	h := fnv.New64a()
	h.Write([]byte(a.String()))
	return -int64(h.Sum64()>>2) - 1<<61
}

// handleNext handles the person's oldest unhandled event; more is false
// when there was none. A handling that fails three times while the
// database answers is poison: the event is set aside as handled, logged,
// and the person's later events go on.
func (b *Bot) handleNext(ctx context.Context, to channel.Address) (more bool, err error) {
	for attempt := 1; ; attempt++ {
		more, err = b.handleNextOnce(ctx, to)
		if err == nil || attempt >= 3 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	if err == nil {
		return more, nil
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if perr := b.db.X.PingContext(pctx); perr != nil || store.Unavailable(err) {
		return false, err // the sweep tries again once the database is back
	}
	b.log.Error("handling a channel event, set aside", "from", to.String(), "err", err)
	serr := b.db.InTx(ctx, func(tx *store.Tx) error {
		e, ok, err := tx.NextInboxEvent(ctx, string(to.Channel), to.Ref)
		if err != nil || !ok {
			return err
		}
		return tx.FinishInboxEvent(ctx, e.ID)
	})
	return serr == nil, serr
}

// handleNextOnce handles the person's oldest unhandled event as
// handleReturnee does Telegram's (handleStep, in one transaction that
// also marks it handled); the replies are sent in order after commit.
func (b *Bot) handleNextOnce(ctx context.Context, to channel.Address) (more bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	ch, ok := b.channels[to.Channel]
	if !ok {
		return false, fmt.Errorf("events from %s: no such channel", to)
	}
	var (
		res stepResult
		fx  = &Effects{}
	)
	err = b.db.InTx(ctx, func(tx *store.Tx) error {
		more, res, fx.fns = false, stepResult{}, nil
		row, ok, err := tx.TakeInboxEvent(ctx, string(to.Channel), to.Ref)
		if err != nil || !ok {
			return err
		}
		more = true
		var ev channel.Event
		if err := json.Unmarshal(row.Event, &ev); err != nil {
			return fmt.Errorf("decoding inbox event %d: %w", row.ID, err)
		}
		if ev.Kind == channel.EvUnfollow {
			return tx.MarkUnreachable(ctx, string(to.Channel), to.Ref, "unfollowed")
		}
		// The person and their conversation in one round trip.
		r, err := tx.TouchAndState(ctx, string(to.Channel), to.Ref, to.Ref, i18n.Normalize(ev.LangHint))
		if err != nil {
			return err
		}
		res, err = b.handleStep(ctx, tx, fx, step{ch: ch, ev: ev, r: r}) // converse.go
		return err
	})
	if err != nil || !more {
		return false, err
	}
	fx.Run()
	if len(res.msgs) > 0 || res.saved { // a saved step's answer is recorded even when it says nothing
		b.outbox.submit(b.sendCtx, laneKey(to), func(ctx context.Context) error {
			b.sendOn(ch, res.person.ID, to, res.msgs)
			if res.saved {
				b.sentAnswer(res.person.ID, res.out.Version)
			}
			return nil
		})
	}
	b.afterCases(ctx, res.out)
	return true, nil
}

// sweepInbox hands the people with unhandled events (a crash, the
// database away) to their lanes.
func (b *Bot) sweepInbox(ctx context.Context) {
	pend, err := b.db.PendingInbox(ctx, 500)
	if err != nil {
		b.log.Warn("sweep: pending inbox", "err", err)
		return
	}
	for _, p := range pend {
		if p.Channel == string(telegram.Name) {
			if chat, err := strconv.ParseInt(p.Address, 10, 64); err == nil {
				b.drainChat(ctx, chat) // poll.go
			}
			continue
		}
		if _, ok := b.channels[channel.Name(p.Channel)]; ok {
			b.drainInbox(ctx, channel.Address{Channel: channel.Name(p.Channel), Ref: p.Address})
		}
	}
}

// eventInput translates an event for the flows: a typed number answers
// the numbered list last shown (Kind "" when it names no choice of it).
func (b *Bot) eventInput(ctx context.Context, tx *store.Tx, personID int64, ev channel.Event) (flows.Input, error) {
	in := flows.Input{At: ev.At}
	switch ev.Kind {
	case channel.EvFollow:
		in.Kind, in.Command = flows.InCommand, "start"
	case channel.EvButton:
		in.Kind = flows.InChoice
		in.Version, in.Choice = telegram.ParseCallback(ev.Data)
	case channel.EvContact:
		in.Kind, in.Phone = flows.InContact, ev.Phone
	case channel.EvMedia, channel.EvLocation:
		in.Kind, in.Media = flows.InMedia, ev.Media
		if ev.Kind == channel.EvLocation {
			in.Media = "location"
		}
	default:
		text := textfold.Clean(ev.Text)
		if cmd, arg, ok := telegram.ParseCommand(text, ""); ok {
			in.Kind, in.Command, in.Arg = flows.InCommand, cmd, arg
			return in, nil
		}
		if _, isNumber := channel.Numbered(text); isNumber {
			m, ok, err := tx.Menu(ctx, personID)
			if err != nil {
				return in, err
			}
			if ok {
				v, id, picked := channel.Menu{Version: m.Version, IDs: m.IDs}.Pick(text)
				if !picked {
					return flows.Input{}, nil
				}
				if !ev.At.IsZero() && ev.At.Before(m.ShownAt) {
					v = -1 // typed before this list was shown: meant for an older one
				}
				in.Kind, in.Version, in.Choice = flows.InChoice, v, id
				return in, nil
			}
		}
		in.Kind, in.Text = flows.InText, strings.TrimSpace(text)
	}
	return in, nil
}

// sendOn sends messages to a person on their channel, in order, stopping
// at the first that fails; an unreachable person is marked so (Telegram's
// sender marks them itself and says channel.ErrUnreachable).
func (b *Bot) sendOn(ch Channel, personID int64, to channel.Address, msgs []channel.Message) {
	for _, m := range msgs {
		err := ch.Send(b.sendCtx, to, m)
		if err == nil {
			continue
		}
		if ce := (*channel.Error)(nil); errors.As(err, &ce) && ce.Kind == channel.Unreachable {
			if err := b.db.MarkUnreachable(b.sendCtx, string(to.Channel), to.Ref, ce.Reason); err != nil {
				b.log.Warn("marking unreachable", "to", to.String(), "err", err)
			}
		}
		if !errors.Is(err, channel.ErrUnreachable) {
			b.log.Error("sending on channel", "to", to.String(), "person", personID, "err", err)
		}
		return
	}
}

// answerAfter returns what queues a text (HTML) to the person after
// commit, in their outbox lane, ahead of the replies queued after it.
func (b *Bot) answerAfter(fx *Effects, ch Channel, to channel.Address) func(text string) {
	return func(text string) {
		fx.Add(func() {
			b.outbox.submit(b.sendCtx, laneKey(to), func(context.Context) error {
				if err := b.sendTextOn(b.sendCtx, ch, to, text, channel.PurposeReply); err != nil && !errors.Is(err, channel.ErrUnreachable) {
					b.log.Error("answering on channel", "to", to.String(), "err", err)
				}
				return nil
			})
		})
	}
}

// sendTextOn sends a catalog text (HTML) to a person on another channel,
// fitted to it, with the sender's error kinds (channel.ErrUnreachable,
// *channel.PermanentError, *channel.NotDeliveredError) so that callers treat every channel
// alike. why lets the channel apply its rules (Zalo's window).
func (b *Bot) sendTextOn(ctx context.Context, ch Channel, to channel.Address, html string, why channel.Purpose, buttons ...channel.Button) error {
	caps := ch.Capabilities()
	text := html
	if caps.Markup == channel.MarkupNone {
		text = channel.PlainText(html)
	}
	parts := channel.Split(text, caps)
	for i, part := range parts {
		m := channel.Message{Text: part, Purpose: why}
		if i == len(parts)-1 && len(buttons) > 0 {
			m.Buttons = channel.Rows(buttons, caps)
		}
		if err := b.sendMapped(ctx, ch, to, m); err != nil {
			return err
		}
	}
	return nil
}

// sendMapped sends m through ch and turns a *channel.Error into the
// sender's error kinds (an unreachable person is marked so), as every
// caller of a channel's Send expects.
func (b *Bot) sendMapped(ctx context.Context, ch Channel, to channel.Address, m channel.Message) error {
	err := ch.Send(ctx, to, m)
	var ce *channel.Error
	if !errors.As(err, &ce) {
		return err
	}
	switch ce.Kind {
	case channel.Unreachable:
		if merr := b.db.MarkUnreachable(ctx, string(to.Channel), to.Ref, ce.Reason); merr != nil {
			b.log.Warn("marking unreachable", "to", to.String(), "err", merr)
		}
		return channel.ErrUnreachable
	case channel.Permanent:
		return &channel.PermanentError{Method: "send", Reason: ce.Reason}
	case channel.NotDelivered:
		return &channel.NotDeliveredError{Reason: ce.Reason}
	case channel.Held:
		return &channel.HeldError{Until: ce.Until, Reason: ce.Reason}
	}
	return err
}
