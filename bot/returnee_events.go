package bot

import (
	"context"

	"reentrybot/channel"
	"reentrybot/store"
)

// What a returnee can do outside the flows, on every channel alike: rate a
// closed case (bot/casework), /stop announcements and answer "Nhận lại
// thông báo?" after /start (bot/announcements), answer a follow-up
// question (bot/reminders). A feature registers its handler once
// (RegisterCommand, RegisterButton, RegisterButtonPrefix); the core hands
// it the person's event as the channel layer tells it (a ChannelEvent) in
// handleStep (converse.go), the same on every channel, and sends what it
// answers through the person's channel.

// ChannelEvent is a returnee's event that a feature registered, on any
// channel, handled inside the handling's transaction.
type ChannelEvent struct {
	Tx     *store.Tx
	Person store.Person
	Caps   channel.Capabilities
	Event  channel.Event

	b     *Bot
	pre   []channel.Message // Before
	toast string            // the press's acknowledgement, where Caps.Ack
	drop  func()            // takes the pressed message's buttons away, where the channel can
}

// featureFn is a feature's handler of a returnee's event: msgs are the
// answer; handled false leaves the event to the flows.
type featureFn func(ctx context.Context, b *Bot, e *ChannelEvent) (handled bool, msgs []channel.Message, err error)

// Text renders one catalog text for the person on their channel.
func (e *ChannelEvent) Text(key string) []channel.Message {
	return e.b.channelReply(e.Person, e.Caps, key)
}

// Markup is one catalog text in the channel's markup, unsplit (for a
// short message with buttons).
func (e *ChannelEvent) Markup(key string) string {
	return e.b.channelText(e.Person.Language, key, e.Caps)
}

// Before sends msgs before the flows' answer, when the event is left to
// them (handled false).
func (e *ChannelEvent) Before(msgs ...channel.Message) { e.pre = append(e.pre, msgs...) }

// Toast acknowledges the press with a short catalog text where the
// channel shows one (Telegram); elsewhere it says nothing.
func (e *ChannelEvent) Toast(key string) {
	if e.acknowledged() {
		e.toast = key
	}
}

// acknowledged reports whether the event is a press the channel
// acknowledges (a toast).
func (e *ChannelEvent) acknowledged() bool { return e.Caps.Ack && e.Event.Kind == channel.EvButton }

// Note is a short catalog text about the press: its acknowledgement where
// the channel shows one (no message then), else a message.
func (e *ChannelEvent) Note(key string) []channel.Message {
	if e.acknowledged() {
		e.toast = key
		return nil
	}
	return e.Text(key)
}

// DropButtons takes the buttons of the pressed message away after commit,
// where the channel can (Telegram); elsewhere the old buttons stay and a
// second press is refused as stale.
func (e *ChannelEvent) DropButtons() {
	if e.drop != nil {
		e.drop()
	}
}

// Forged refuses a case button the person could not have been shown:
// logged, audited, and answered like a stale one.
func (e *ChannelEvent) Forged(ctx context.Context) ([]channel.Message, error) {
	e.b.log.Warn("forged case button from a returnee", "from", e.Event.From.String(), "data", e.Event.Data)
	return e.Note("button_stale"), e.Tx.Audit(ctx, 0, 0, "denied_callback", 0, "returnee "+string(e.Event.From.Channel))
}

// RegisterCommand gives feature a command returnees send, on every
// channel; staff sending it get their help. "start" runs before the flows
// answer it (its handler leaves the event to them, after what it put
// Before).
func RegisterCommand(feature, name string, fn featureFn) { routes.channelCommand(name, feature, fn) }

// RegisterButton gives feature the returnees' buttons with exactly data,
// on every channel (staff pressing one go to their own handling).
func RegisterButton(feature, data string, fn featureFn) { routes.channelButton(data, feature, fn) }

// RegisterButtonPrefix gives feature the returnees' buttons whose data
// starts with prefix, on every channel (the longest registered prefix
// wins).
func RegisterButtonPrefix(feature, prefix string, fn featureFn) {
	routes.channelButtonPrefix(prefix, feature, fn)
}
