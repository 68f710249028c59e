package bot

import (
	"context"
	"strconv"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/store"
)

// What a returnee on another channel can do outside the flows, as on
// Telegram: rate a closed case here (bot/casework); /stop announcements and answer
// "Nhận lại thông báo?" after /start (bot/announcements), answer a
// follow-up question (bot/reminders). Staff stay on Telegram, so nothing here is
// a staff action.

// channelExtras handles ev when a feature registered it (routes.go); pre
// are messages to send before the flows' replies when the flows still run
// (the announcements question after /start).
func (b *Bot) channelExtras(ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, ev channel.Event) (handled bool, msgs, pre []channel.Message, err error) {
	if route := routes.forChannel(ev); route.fn != nil {
		return route.fn(b, ctx, tx, caps, p, ev)
	}
	return false, nil, nil, nil
}

// channelReply renders one catalog text for p on a channel.
func (b *Bot) channelReply(p store.Person, caps channel.Capabilities, key string) []channel.Message {
	return channel.Render(b.cat, p.Language, flows.Reply{Key: key}, 0, caps)
}

// refuseForgedOnChannel answers a case button a returnee could not have
// been shown like a stale one, and logs and audits it.
func (b *Bot) refuseForgedOnChannel(ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, ev channel.Event) ([]channel.Message, error) {
	b.log.Warn("forged case button from a returnee", "from", ev.From.String(), "data", ev.Data)
	return b.channelReply(p, caps, "button_stale"), tx.Audit(ctx, 0, 0, "denied_callback", 0, "returnee "+string(ev.From.Channel))
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
