package bot

import (
	"strconv"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/store"
)

// channelReply renders one catalog text for p on a channel.
func (b *Bot) channelReply(p store.Person, caps channel.Capabilities, key string) []channel.Message {
	return channel.Render(b.cat, p.Language, flows.Reply{Key: key}, 0, caps)
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
