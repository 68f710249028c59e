package bot

import (
	"context"
	"strconv"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/store"
)

// What a returnee on another channel can do outside the flows, as on
// Telegram: /stop announcements, answer "Nhận lại thông báo?" after
// /start, answer a follow-up question, rate a closed case. Staff stay on Telegram, so nothing here is
// a staff action.

// channelExtras handles ev when a feature registered it (routes.go); pre
// are messages to send before the flows' replies when the flows still run
// (the announcements question after /start).
func (b *Bot) channelExtras(ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, ev channel.Event) (handled bool, msgs, pre []channel.Message, err error) {
	if fn := routes.forChannel(ev); fn != nil {
		return fn(b, ctx, tx, caps, p, ev)
	}
	return false, nil, nil, nil
}

func init() {
	routes.channelCommand("stop", "announce", chStop)
	routes.channelCommand("start", "announce", chStart)
	routes.channelButton(backOnData, "announce", chBackOn)
	routes.channelButton(keepOffData, "announce", chKeepOff)
	routes.channelButtonPrefix("k:", "desk", chRate)
}

// channelReply renders one catalog text for p on a channel.
func (b *Bot) channelReply(p store.Person, caps channel.Capabilities, key string) []channel.Message {
	return channel.Render(b.cat, p.Language, flows.Reply{Key: key}, 0, caps)
}

func chStop(b *Bot, ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, _ channel.Event) (bool, []channel.Message, []channel.Message, error) {
	_, err := tx.SetAnnouncementsOff(ctx, p.ID, true)
	return true, b.channelReply(p, caps, "announce_stopped"), nil, err
}

func chStart(b *Bot, _ context.Context, _ *store.Tx, caps channel.Capabilities, p store.Person, _ channel.Event) (bool, []channel.Message, []channel.Message, error) {
	if !p.AnnouncementsOff {
		return false, nil, nil, nil
	}
	return false, nil, b.backOnQuestion(p.Language, caps), nil
}

func chBackOn(b *Bot, ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, _ channel.Event) (bool, []channel.Message, []channel.Message, error) {
	_, err := tx.SetAnnouncementsOff(ctx, p.ID, false)
	return true, b.channelReply(p, caps, "announce_back_on"), nil, err
}

func chKeepOff(b *Bot, _ context.Context, _ *store.Tx, caps channel.Capabilities, p store.Person, _ channel.Event) (bool, []channel.Message, []channel.Message, error) {
	return true, b.channelReply(p, caps, "announce_still_off"), nil, nil
}

// chRate stores a rating of a closed case; any other case button is
// forged (a returnee has no other).
func chRate(b *Bot, ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, ev channel.Event) (bool, []channel.Message, []channel.Message, error) {
	text := func(key string) []channel.Message { return b.channelReply(p, caps, key) }
	action, id, arg, ok := parseCaseData(ev.Data)
	if !ok {
		return false, nil, nil, nil
	}
	n, _ := strconv.Atoi(arg)
	if action != "rate" || n < 1 || n > 5 {
		msgs, err := b.refuseForgedOnChannel(ctx, tx, caps, p, ev)
		return true, msgs, nil, err
	}
	rated, err := tx.RateCase(ctx, id, p.ID, n)
	if err != nil || !rated {
		return true, text("button_stale"), nil, err
	}
	if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: id, Actor: "returnee", Kind: "rated", Body: arg}); err != nil {
		return true, nil, nil, err
	}
	return true, text("rating_thanks"), nil, nil
}

// refuseForgedOnChannel answers a case button a returnee could not have
// been shown like a stale one, and logs and audits it.
func (b *Bot) refuseForgedOnChannel(ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, ev channel.Event) ([]channel.Message, error) {
	b.log.Warn("forged case button from a returnee", "from", ev.From.String(), "data", ev.Data)
	return b.channelReply(p, caps, "button_stale"), tx.Audit(ctx, 0, 0, "denied_callback", 0, "returnee "+string(ev.From.Channel))
}

// backOnQuestion asks whether announcements should come again, with
// Có/Không buttons where the channel has two.
func (b *Bot) backOnQuestion(lang string, caps channel.Capabilities) []channel.Message {
	m := channel.Message{Text: b.channelText(lang, "announce_ask_back_on", caps)}
	if caps.MaxButtons >= 2 {
		m.Buttons = [][]channel.Button{{
			{Label: b.cat.T(lang, "btn_yes", nil), Data: backOnData},
			{Label: b.cat.T(lang, "btn_no", nil), Data: keepOffData},
		}}
	}
	return []channel.Message{m}
}

// ratingQuestion is the question after a closed case, with five buttons
// where the channel has them; nil where it has not (it is not asked).
func (b *Bot) ratingQuestion(lang string, caseID int64, caps channel.Capabilities) *channel.Message {
	if caps.MaxButtons < 5 {
		return nil
	}
	row := make([]channel.Button, 5)
	for i := range row {
		n := strconv.Itoa(i + 1)
		row[i] = channel.Button{Label: n, Data: caseData("rate", caseID, n)}
	}
	return &channel.Message{Text: b.channelText(lang, "rating_question", caps), Purpose: channel.PurposeCounsellor, Buttons: channel.Rows(row, caps)}
}

// channelText is a catalog text in the channel's markup.
func (b *Bot) channelText(lang, key string, caps channel.Capabilities) string {
	t := b.cat.T(lang, key, nil)
	if caps.Markup == channel.MarkupNone {
		t = channel.PlainText(t)
	}
	return t
}
