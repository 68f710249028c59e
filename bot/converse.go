package bot

import (
	"context"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// turn is one input of a returnee, on whatever channel, ready for the
// part of its handling every channel shares (converse): the channel's own
// path has read the event, marked it handled and touched the person.
type turn struct {
	ch         Channel
	to         channel.Address
	person     store.Person
	conv       flows.Conversation
	conversing bool // a counsellor holds one of the person's cases
	in         flows.Input
	// name and langHint are what the messenger tells of the person.
	name, langHint string
	// copyFrom is where a file the person sent can be copied from into
	// the case's topic (a message on the staff's own messenger), nil
	// where it cannot.
	copyFrom *MediaSource
	// mediaRef, mediaName: the file of a media event on another
	// messenger, as its channel can fetch it.
	mediaRef, mediaName string
}

// converse is what every channel's handling of a returnee's input shares,
// inside its transaction: what they write reaches the counsellor of their
// case (the relay), or else the flows answer; the counsellors of the cases
// the input changed are told. routed reports that the relay took it (the
// outcome is then empty).
func (b *Bot) converse(ctx context.Context, tx *store.Tx, fx *Effects, t turn) (out flows.Outcome, routed bool, err error) {
	if k := t.in.Kind; k == flows.InText || k == flows.InMedia || k == flows.InContact {
		if relay := routes.desk.Relay; relay != nil { // bot/casework
			routed, err = relay(ctx, b, tx, fx, &ReturneeTurn{Person: t.person, Conv: t.conv, Conversing: t.conversing,
				Input: t.in, CopyFrom: t.copyFrom, MediaRef: t.mediaRef, MediaName: t.mediaName, Answer: b.answerAfter(fx, t.ch, t.to)})
			if err != nil || routed {
				return out, routed, err
			}
		}
	}
	caps := t.ch.Capabilities()
	out, err = b.engine.HandleLoaded(ctx, tx, flows.Person{
		ID: t.person.ID, Lang: t.person.Language, Name: t.name, LangHint: t.langHint,
		Carrier: caps.Carrier, CarrierAbroad: caps.Abroad,
	}, t.conv, t.in)
	if err != nil {
		return out, false, err
	}
	return out, false, noteUpdatedCases(ctx, tx, out)
}

// step is a returnee's event after its channel's own first statement
// (Telegram's SeenTouchAndState, the others' TakeInboxEvent and
// TouchAndState), which marked it handled, touched the person and read
// their conversation.
type step struct {
	ch Channel
	ev channel.Event
	r  store.Returnee
	// Telegram's: where a file the person sent can be copied from, and
	// what takes the pressed message's buttons away.
	copyFrom    *MediaSource
	dropButtons func(fx *Effects)
}

// stepResult is what a handled step leaves for after commit.
type stepResult struct {
	person store.Person
	out    flows.Outcome
	msgs   []channel.Message // the answer, in order, fitted to the channel
	saved  bool              // the conversation moved: its answer is recorded once sent
	toast  string            // a feature's acknowledgement of the press (channels with Ack)
}

// handleStep is a returnee's event handled the same way on every channel,
// inside its transaction: a feature's command or button (the registry), or
// a typed number turned into the choice of the numbered list last shown,
// then converse (the relay, or the flows); the answer rendered under the
// channel's capabilities, and the new numbered list kept.
func (b *Bot) handleStep(ctx context.Context, tx *store.Tx, fx *Effects, s step) (res stepResult, err error) {
	res.person = s.r.Person
	person, caps := s.r.Person, s.ch.Capabilities()
	var pre []channel.Message
	route := routes.forChannel(s.ev)
	if route.fn != nil {
		e := &ChannelEvent{Tx: tx, Person: person, Caps: caps, Event: s.ev, b: b}
		if s.dropButtons != nil {
			e.drop = func() { s.dropButtons(fx) }
		}
		handled, msgs, err := route.fn(ctx, b, e)
		if err != nil {
			return res, err
		}
		res.toast, pre = e.toast, e.pre
		if handled {
			res.msgs = append(pre, msgs...)
			return res, nil
		}
	}
	in, err := b.eventInput(ctx, tx, person.ID, s.ev)
	if err != nil {
		return res, err
	}
	if in.Kind == "" { // a number that is no choice of the list
		n, _ := channel.Numbered(s.ev.Text)
		res.msgs = append(pre, channel.Render(b.cat, person.Language, flows.Reply{Key: "menu_number_unknown", Params: map[string]any{"N": n}}, 0, caps)...)
		return res, nil
	}
	// Read again when a feature ran first (it may have changed the
	// conversation) or the first statement's read may predate another
	// handling of the person (store.Returnee).
	conv, conversing := s.r.Conv, s.r.Conversing
	if route.fn != nil || !s.r.Fresh {
		if conv, conversing, err = tx.ConversationState(ctx, person.ID); err != nil {
			return res, err
		}
	}
	out, relayed, err := b.converse(ctx, tx, fx, turn{ch: s.ch, to: s.ev.From, person: person, conv: conv, conversing: conversing, in: in,
		name: s.ev.Name, langHint: i18n.Normalize(s.ev.LangHint), copyFrom: s.copyFrom, mediaRef: s.ev.MediaRef, mediaName: s.ev.MediaName})
	if err != nil || relayed {
		res.msgs = pre
		return res, err
	}
	res.out, res.saved = out, out.Version != conv.Version
	lang := person.Language
	if out.Lang != "" {
		lang = out.Lang
	}
	msgs, menu, err := b.renderOutcome(ctx, tx, person.ID, caps, lang, out)
	if err != nil {
		return res, err
	}
	if in.Kind == flows.InContact && len(msgs) > 0 {
		msgs[0].ClearContact = true // the share-phone control was used
	}
	res.msgs = append(pre, msgs...)
	// The newest list is the one a typed number answers. Saving the
	// conversation cleared the last one (a step without a list leaves
	// numbers to the flows: a year, a phone); an input that moved nothing
	// (a stale press) keeps it.
	if menu != nil {
		if err := tx.SaveMenu(ctx, person.ID, menu); err != nil {
			return res, err
		}
	}
	return res, nil
}
