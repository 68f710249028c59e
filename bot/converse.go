package bot

import (
	"context"
	"encoding/json"

	"reentrybot/channel"
	"reentrybot/flows"
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
