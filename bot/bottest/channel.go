package bottest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"reentrybot/channel"
)

// Channel is a messenger of tests only, poorer than any real one: 3
// buttons a message, 160 characters, no markup. It records what the bot
// sends and refuses what breaks its limits, as a strict fake would.
type Channel struct {
	mu   sync.Mutex
	sent map[string][]channel.Message // by address ref
}

// ChannelCaps are the test channel's capabilities.
var ChannelCaps = channel.Capabilities{MaxButtons: 3, MaxLabel: 30, MaxText: 160}

func (c *Channel) Name() channel.Name                 { return "test" }
func (c *Channel) Capabilities() channel.Capabilities { return ChannelCaps }

func (c *Channel) Send(_ context.Context, to channel.Address, m channel.Message) error {
	n := 0
	for _, row := range m.Buttons {
		n += len(row)
		for _, b := range row {
			if utf8.RuneCountInString(b.Label) > ChannelCaps.MaxLabel {
				return &channel.Error{Kind: channel.Permanent, Reason: "label too long: " + b.Label}
			}
		}
	}
	switch {
	case to.Channel != "test":
		return &channel.Error{Kind: channel.Permanent, Reason: "not my address: " + to.String()}
	case n > ChannelCaps.MaxButtons:
		return &channel.Error{Kind: channel.Permanent, Reason: fmt.Sprintf("%d buttons", n)}
	case utf8.RuneCountInString(m.Text) > ChannelCaps.MaxText:
		return &channel.Error{Kind: channel.Permanent, Reason: fmt.Sprintf("text of %d characters", utf8.RuneCountInString(m.Text))}
	case strings.Contains(m.Text, "<b>") || strings.Contains(m.Text, "&amp;"):
		return &channel.Error{Kind: channel.Permanent, Reason: "markup in a plain-text channel: " + m.Text}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent == nil {
		c.sent = map[string][]channel.Message{}
	}
	c.sent[to.Ref] = append(c.sent[to.Ref], m)
	return nil
}

// Messages are what the bot sent to ref.
func (c *Channel) Messages(ref string) []channel.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]channel.Message(nil), c.sent[ref]...)
}
