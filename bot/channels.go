package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
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

// HandleEvent queues a channel's event in its person's lane and returns a
// channel that yields nil once its handling has committed (the messenger
// may then be told it arrived), or the error that kept it from committing.
func (b *Bot) HandleEvent(ctx context.Context, ev channel.Event) <-chan error {
	return b.lanes.submit(ctx, laneKey(ev.From), func(ctx context.Context) error { return b.handleEvent(ctx, ev) })
}

// laneKey maps an address to a lane. Telegram's lanes are keyed by chat
// id; other channels' by a hash, negative and below every Telegram group
// id, so that the two never share a lane (two addresses that collide
// would only wait for each other).
func laneKey(a channel.Address) int64 {
	h := fnv.New64a()
	h.Write([]byte(a.String()))
	return -int64(h.Sum64()>>2) - 1<<61
}

// handleEvent runs one event through the flows, as handleReturnee does
// for Telegram: in one transaction that also records the event as seen,
// then the replies are rendered for the channel and sent in order.
func (b *Bot) handleEvent(ctx context.Context, ev channel.Event) error {
	ch, ok := b.channels[ev.From.Channel]
	if !ok {
		return fmt.Errorf("event %s from %s: no such channel", ev.ID, ev.From)
	}
	caps := ch.Capabilities()
	var (
		out    flows.Outcome
		person store.Person
		msgs   []channel.Message
		fx     = &effects{}
		skip   bool // seen before, or nothing to answer
		saved  bool
	)
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		skip, saved, msgs, fx.fns = false, false, nil, nil
		first, err := tx.MarkEventSeen(ctx, string(ev.From.Channel), ev.ID)
		if err != nil || !first {
			skip = true
			return err
		}
		if ev.Kind == channel.EvUnfollow {
			skip = true
			return tx.MarkUnreachable(ctx, string(ev.From.Channel), ev.From.Ref, "unfollowed")
		}
		person, err = tx.TouchPerson(ctx, string(ev.From.Channel), ev.From.Ref, ev.From.Ref, i18n.Normalize(ev.LangHint))
		if err != nil {
			return err
		}
		lang := person.Language
		in, err := b.eventInput(ctx, tx, person.ID, ev)
		if err != nil {
			return err
		}
		if in.Kind == "" { // a number that is no choice of the menu
			n, _ := channel.Numbered(ev.Text)
			msgs = channel.Render(b.cat, lang, flows.Reply{Key: "menu_number_unknown", Params: map[string]any{"N": n}}, 0, caps)
			return nil
		}
		conv, conversing, err := tx.ConversationState(ctx, person.ID)
		if err != nil {
			return err
		}
		if in.Kind == flows.InText || in.Kind == flows.InMedia || in.Kind == flows.InContact {
			answer := func(text string) {
				m := channel.Message{Text: text}
				if caps.Markup == channel.MarkupNone {
					m.Text = channel.PlainText(text)
				}
				fx.add(func() { b.sendOn(ch, person.ID, ev.From, []channel.Message{m}) })
			}
			routed, err := b.relayFromReturnee(ctx, tx, fx, person, conv, conversing, nil, in, answer)
			if err != nil || routed {
				skip = routed
				return err
			}
		}
		out, err = b.engine.HandleLoaded(ctx, tx, flows.Person{ID: person.ID, Lang: lang, Name: ev.Name, LangHint: i18n.Normalize(ev.LangHint)}, conv, in)
		if err != nil {
			return err
		}
		saved = out.Version != conv.Version
		if out.Lang != "" {
			lang = out.Lang
		}
		var menu *store.Menu
		if out.Toast != "" {
			// No acknowledgement of a press on this channel (or a typed
			// number): the short note is a message of its own.
			msgs = channel.Render(b.cat, lang, flows.Reply{Key: out.Toast}, out.Version, caps)
		}
		for _, r := range out.Replies {
			for _, m := range channel.Render(b.cat, lang, r, out.Version, caps) {
				if m.Menu != nil {
					menu = &store.Menu{Version: m.Menu.Version, IDs: m.Menu.IDs, ShownAt: b.now()}
				}
				msgs = append(msgs, m)
			}
		}
		// The newest list is the one a typed number answers; a step
		// without one leaves numbers to the flows (a year, a phone). An
		// input that moved nothing (a stale press) keeps the list.
		if menu != nil || saved {
			if err := tx.SaveMenu(ctx, person.ID, menu); err != nil {
				return err
			}
		}
		return noteUpdatedCases(ctx, tx, out)
	})
	if err != nil {
		return err
	}
	fx.run()
	if skip && len(msgs) == 0 {
		return nil
	}
	b.outbox.submit(b.sendCtx, laneKey(ev.From), func(ctx context.Context) error {
		b.sendOn(ch, person.ID, ev.From, msgs)
		if saved {
			b.sentAnswer(person.ID, out.Version)
		}
		return nil
	})
	b.afterCases(ctx, out)
	return nil
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
		in.Version, in.Choice = parseCallback(ev.Data)
	case channel.EvContact:
		in.Kind, in.Phone = flows.InContact, ev.Phone
	case channel.EvMedia, channel.EvLocation:
		in.Kind, in.Media = flows.InMedia, ev.Media
		if ev.Kind == channel.EvLocation {
			in.Media = "location"
		}
	default:
		text := CleanText(ev.Text)
		if cmd, arg, ok := parseCommand(text, ""); ok {
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
// at the first that fails; an unreachable person is marked so.
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
		b.log.Error("sending on channel", "to", to.String(), "person", personID, "err", err)
		return
	}
}

// sendToChannel is sendToReturnee for a person on another channel: the
// counsellor's text, signed with their display name, or the closing
// notice. Media stay in the topic (no copy across messengers) and the
// rating question, a Telegram keyboard today, is not asked.
func (b *Bot) sendToChannel(ctx context.Context, ch Channel, c store.Case, ev store.CaseEvent) error {
	lang := c.PersonLang
	var key string
	params := map[string]any{"ID": c.ID}
	switch {
	case ev.Kind == "closed":
		key = "returnee_case_closed"
	case ev.Kind == "message" && ev.Media.Valid:
		key, params = "counsellor_sent", map[string]any{"Name": b.staffName(ctx, ev.StaffID.Int64)}
	case ev.Kind == "message":
		key, params = "counsellor_says", map[string]any{"Name": b.staffName(ctx, ev.StaffID.Int64), "Text": ev.Body.String}
	default:
		return &PermanentError{Method: "relay", Reason: "unknown event kind " + ev.Kind}
	}
	to := channel.Address{Channel: ch.Name(), Ref: c.PersonChat}
	for _, m := range channel.Render(b.cat, lang, flows.Reply{Key: key, Params: params}, 0, ch.Capabilities()) {
		if err := ch.Send(ctx, to, m); err != nil {
			var ce *channel.Error
			if errors.As(err, &ce) {
				switch ce.Kind {
				case channel.Unreachable:
					return ErrUnreachable
				case channel.Permanent:
					return &PermanentError{Method: "relay", Reason: ce.Reason}
				}
			}
			return err
		}
	}
	return nil
}
