package bot

import (
	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/store"
)

// channelReply renders one catalog text for p on a channel.
func (b *Bot) channelReply(p store.Person, caps channel.Capabilities, key string) []channel.Message {
	return channel.Render(b.cat, p.Language, flows.Reply{Key: key}, 0, caps)
}

// channelText is a catalog text in the channel's markup.
func (b *Bot) channelText(lang, key string, caps channel.Capabilities) string {
	t := b.cat.T(lang, key, nil)
	if caps.Markup == channel.MarkupNone {
		t = channel.PlainText(t)
	}
	return t
}
