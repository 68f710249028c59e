package bot

import (
	"context"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/store"
)

// What a returnee can do outside the flows, on every channel alike: rate a
// closed case (bot/casework), /stop announcements and answer "Nhận lại
// thông báo?" after /start (bot/announcements), answer a follow-up
// question (bot/reminders). A feature registers its handler once
// (RegisterCommand, RegisterButton, RegisterButtonPrefix); the core hands
// it the person's event as the channel layer tells it (a ChannelEvent),
// from Telegram's path (telegramFeature, in handleReturnee's
// transaction) or the other channels' (channelExtras), and sends what it answers through the person's channel.

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
	if e.Caps.Ack && e.Event.Kind == channel.EvButton {
		e.toast = key
	}
}

// Note is a short catalog text about the press: its acknowledgement where
// the channel shows one (no message then), else a message.
func (e *ChannelEvent) Note(key string) []channel.Message {
	if e.Caps.Ack && e.Event.Kind == channel.EvButton {
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

// channelExtras runs the feature that registered ev on another channel
// (routes.go); pre are messages to send before the flows' replies when the
// flows still run (the announcements question after /start).
func (b *Bot) channelExtras(ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, ev channel.Event) (handled bool, msgs, pre []channel.Message, err error) {
	route := routes.forChannel(ev)
	if route.fn == nil {
		return false, nil, nil, nil
	}
	e := &ChannelEvent{Tx: tx, Person: p, Caps: caps, Event: ev, b: b}
	handled, msgs, err = route.fn(ctx, b, e)
	return handled, msgs, e.pre, err
}

// telegramFeature runs the feature that registered a returnee's Telegram
// update, if any, inside handleReturnee's transaction (after its first
// statement, the staff check): feature reports that one ran, handled that
// it answered (the flows do not); what it answers goes out through
// Telegram's channel after commit, its acknowledgement of a press in
// *toast (a catalog key).
func (b *Bot) telegramFeature(ctx context.Context, tx *store.Tx, fx *effects, person store.Person, upd *models.Update, toast *string) (feature, handled bool, err error) {
	ev, ok := telegram.Event(upd, b.me.Username)
	if !ok {
		return false, false, nil
	}
	route := routes.forChannel(ev)
	if route.fn == nil {
		return false, false, nil
	}
	e := &ChannelEvent{Tx: tx, Person: person, Caps: telegram.Caps, Event: ev, b: b}
	if cq := upd.CallbackQuery; cq != nil {
		e.drop = func() { b.dropButtonsAfter(fx, cq) }
	}
	handled, msgs, err := route.fn(ctx, b, e)
	if err != nil {
		return true, false, err
	}
	if handled {
		e.pre = append(e.pre, msgs...)
	}
	*toast = e.toast
	b.sendAfter(fx, person.ID, ev.From, e.pre)
	return true, handled, nil
}

// sendAfter sends msgs to the person on their channel after commit, in
// their outbox lane.
func (b *Bot) sendAfter(fx *effects, personID int64, to channel.Address, msgs []channel.Message) {
	ch, ok := b.channel(to.Channel)
	if !ok || len(msgs) == 0 {
		return
	}
	fx.add(func() {
		b.outbox.submit(b.sendCtx, laneKey(to), func(context.Context) error {
			b.sendOn(ch, personID, to, msgs)
			return nil
		})
	})
}
