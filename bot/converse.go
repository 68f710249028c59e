package bot

import (
	"context"
	"encoding/json"

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
	copyFrom *mediaSource
}

// mediaSource is a Telegram message a file can be copied from.
type mediaSource struct {
	kind, caption string
	chat          int64
	msg           int
}

// converse is what every channel's handling of a returnee's input shares,
// inside its transaction: what they write reaches the counsellor of their
// case (the relay), or else the flows answer; the counsellors of the cases
// the input changed are told. routed reports that the relay took it (the
// outcome is then empty).
func (b *Bot) converse(ctx context.Context, tx *store.Tx, fx *effects, t turn) (out flows.Outcome, routed bool, err error) {
	if k := t.in.Kind; k == flows.InText || k == flows.InMedia || k == flows.InContact {
		routed, err = b.relayFromReturnee(ctx, tx, fx, t, b.answerAfter(fx, t.ch, t.to))
		if err != nil || routed {
			return out, routed, err
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

// newCaseFromText opens a new "talk to a counsellor" case with what a
// returnee typed at the menu, when their last case was closed too long ago
// to reopen. Someone who never had a case gets the menu instead.
func (b *Bot) newCaseFromText(ctx context.Context, tx *store.Tx, fx *effects, p store.Person, in flows.Input, answer func(text string)) (bool, error) {
	if in.Kind != flows.InText {
		return false, nil
	}
	if had, err := tx.HadCase(ctx, p.ID); err != nil || !had {
		return false, err
	}
	consents, err := tx.Consents(ctx, p.ID)
	if err != nil || !consents[flows.PurposeOther] { // a counsellor request rests on "other"
		return false, err
	}
	prof, err := tx.Profile(ctx, p.ID)
	if err != nil {
		return false, err
	}
	reason, err := flows.CleanText(in.Text, 500, true)
	if err != nil {
		return false, nil // too long or empty: the flows explain
	}
	answers, err := json.Marshal(map[string]string{"reason": reason})
	if err != nil {
		return false, err
	}
	ref, err := tx.SaveCase(ctx, flows.CaseDraft{PersonID: p.ID, Kind: "other", CommuneCode: prof.CommuneCode, Answers: answers, At: b.now()})
	if err != nil {
		return false, err
	}
	key, params := b.opts.Hours.Expect(b.now())
	if wk, ok := params["WeekdayKey"].(string); ok {
		params["Weekday"] = b.cat.T(p.Language, wk, nil)
	}
	answer(b.cat.T(p.Language, "case_opened", map[string]any{
		"ID": ref.ID, "Next": b.cat.T(p.Language, "next_other", nil), "When": b.cat.T(p.Language, key, params),
	}))
	fx.add(func() { b.newCases(ctx, []flows.CaseRef{ref}) })
	return true, nil
}

// relayFromReturnee passes what a returnee writes to their case's
// counsellor: always while a counsellor works on the case, and at the menu
// while a case is open or was closed recently (it reopens). It reports
// whether the input was taken.
// m is the Telegram message (nil on other channels: no media copy); answer
// queues a message to the person after commit.
func (b *Bot) relayFromReturnee(ctx context.Context, tx *store.Tx, fx *effects, t turn, answer func(text string)) (bool, error) {
	p, conv, conversing, in := t.person, t.conv, t.conversing, t.in
	if !conversing && !flows.AtRest(conv) {
		return false, nil // in a flow, and no counsellor on a case: the flows answer
	}
	var (
		c   store.Case
		ok  bool
		err error
	)
	if conversing {
		if c, ok, err = tx.ConversingCase(ctx, p.ID); err != nil {
			return false, err
		}
	}
	if !ok {
		if !flows.AtRest(conv) {
			return false, nil
		}
		open, err := tx.OpenCasesOf(ctx, p.ID)
		if err != nil {
			return false, err
		}
		if len(open) > 0 {
			c, ok = open[len(open)-1], true
		} else {
			c, ok, err = tx.ReopenableCase(ctx, p.ID, b.now().Add(-b.opts.ReopenWithin))
			if err != nil {
				return false, err
			}
			if !ok {
				return b.newCaseFromText(ctx, tx, fx, p, in, answer)
			}
			if err := tx.ReopenCase(ctx, c.ID); err != nil {
				return false, err
			}
			if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "returnee", Kind: "reopened", RelayTo: relayTopic}); err != nil {
				return false, err
			}
			if c.TopicThreadID.Valid {
				chat, thread := c.TopicChatID.Int64, int(c.TopicThreadID.Int64)
				fx.add(func() { b.topicOpen(chat, thread, true) })
			}
		}
	}
	ev := store.NewEvent{CaseID: c.ID, Actor: "returnee", Kind: "message", Body: in.Text, RelayTo: relayTopic}
	switch {
	case t.copyFrom != nil:
		ev.Media, ev.SrcChatID, ev.SrcMsgID, ev.Body = t.copyFrom.kind, t.copyFrom.chat, t.copyFrom.msg, t.copyFrom.caption
	case in.Kind == flows.InMedia:
		ev.Media = in.Media // no copy across messengers: the topic says what was sent, and where
	case in.Kind == flows.InContact:
		ev.Body = in.Phone
	}
	if _, err := tx.AddCaseEvent(ctx, ev); err != nil {
		return false, err
	}
	if c.Status == store.CaseWaiting {
		if err := tx.SetCaseStatus(ctx, c.ID, store.CaseAssigned, 0); err != nil {
			return false, err
		}
	}
	now := b.now()
	if since := b.opts.Hours.OffDutySince(now); !since.IsZero() {
		first, err := tx.OffHoursNotice(ctx, p.ID, since, now)
		if err != nil {
			return false, err
		}
		if first {
			key, params := b.opts.Hours.Expect(now)
			if wk, ok := params["WeekdayKey"].(string); ok {
				params["Weekday"] = b.cat.T(p.Language, wk, nil)
			}
			answer(b.cat.T(p.Language, "off_hours", map[string]any{"When": b.cat.T(p.Language, key, params)}))
		}
	}
	id := c.ID
	fx.add(func() { b.kickRelay(id, relayTopic) })
	return true, nil
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
	copyFrom    *mediaSource
	dropButtons func(fx *effects)
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
func (b *Bot) handleStep(ctx context.Context, tx *store.Tx, fx *effects, s step) (res stepResult, err error) {
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
		name: s.ev.Name, langHint: i18n.Normalize(s.ev.LangHint), copyFrom: s.copyFrom})
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
