package bot

import (
	"context"
	"errors"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// What a returnee can do outside the flows, on every channel alike: rate a
// closed case (bot/casework), /stop announcements and answer "Nhận lại
// thông báo?" after /start (bot/announcements), answer a follow-up
// question (bot/reminders). A feature registers its handler once
// (RegisterCommand, RegisterButton, RegisterButtonPrefix); the core hands
// it the person's event as the channel layer tells it (a ChannelEvent),
// from Telegram's path (telegramFeature) or the other channels'
// (channelExtras), and sends what it answers through the person's channel.

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
func RegisterCommand(feature, name string, fn featureFn) {
	routes.channelCommand(name, feature, fn)
	if name != "start" { // Telegram's /start is the flows' (atStart asks the feature first)
		routes.command(name, command{feature: feature, others: telegramFeature(fn)})
	}
}

// RegisterButton gives feature the returnees' buttons with exactly data,
// on every channel (staff pressing one go to their own handling).
func RegisterButton(feature, data string, fn featureFn) {
	routes.channelButton(data, feature, fn)
	routes.button(data, button{feature: feature, others: telegramFeature(fn)})
}

// RegisterButtonPrefix gives feature the returnees' buttons whose data
// starts with prefix, on every channel (the longest registered prefix
// wins).
func RegisterButtonPrefix(feature, prefix string, fn featureFn) {
	routes.channelButtonPrefix(prefix, feature, fn)
	routes.buttonPrefix(prefix, button{feature: feature, others: telegramFeature(fn)})
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

// errToFlows: a feature left a Telegram update to the flows; its
// transaction is rolled back and handleReturnee takes the update.
var errToFlows = errors.New("left to the flows")

// telegramFeature runs a feature's handler on a returnee's Telegram
// update: in the transaction that records the update, with the person
// touched; the press is acknowledged (with the feature's toast), and what
// it answers goes out through Telegram's channel after commit.
func telegramFeature(fn featureFn) othersFn {
	return func(b *Bot, ctx context.Context, upd *models.Update, from models.User, in flows.Input) error {
		ev, ok := telegram.Event(upd, b.me.Username)
		if !ok {
			return nil
		}
		cq := upd.CallbackQuery
		fx := &effects{}
		var toast, lang string
		dup, err := b.inUpdateTx(ctx, upd, fx, func(tx *store.Tx) error {
			toast = ""
			person, err := tx.TouchPerson(ctx, string(ev.From.Channel), ev.From.Ref, ev.From.Ref, i18n.Normalize(from.LanguageCode))
			if err != nil {
				return err
			}
			lang = person.Language
			e := &ChannelEvent{Tx: tx, Person: person, Caps: telegram.Caps, Event: ev, b: b}
			if cq != nil {
				e.drop = func() { b.dropButtonsAfter(fx, cq) }
			}
			handled, msgs, err := fn(ctx, b, e)
			if err != nil {
				return err
			}
			if !handled {
				return errToFlows
			}
			toast = e.toast
			b.sendAfter(fx, person.ID, ev.From, append(e.pre, msgs...))
			return nil
		})
		if errors.Is(err, errToFlows) {
			return b.handleReturnee(ctx, upd, in, from)
		}
		if err != nil {
			return err
		}
		if cq != nil {
			text := ""
			if toast != "" {
				text = b.cat.T(lang, toast, nil)
			}
			b.answerCallbackText(ctx, cq.ID, text)
		}
		if !dup {
			fx.run()
			b.Metrics.Updates.WithLabelValues(telegram.Kind(upd), "handled").Inc()
		}
		return nil
	}
}

// atStart asks the feature that registered "start" before the flows
// answer a returnee's /start on Telegram (as channelExtras does on other
// channels); what it puts Before goes out first. handled: it answered,
// and the flows do not.
func (b *Bot) atStart(ctx context.Context, tx *store.Tx, fx *effects, person store.Person, upd *models.Update) (handled bool, err error) {
	route := routes.chCommands["start"]
	ev, ok := telegram.Event(upd, b.me.Username)
	if route.fn == nil || !ok {
		return false, nil
	}
	e := &ChannelEvent{Tx: tx, Person: person, Caps: telegram.Caps, Event: ev, b: b}
	handled, msgs, err := route.fn(ctx, b, e)
	if err != nil {
		return false, err
	}
	if handled {
		e.pre = append(e.pre, msgs...)
	}
	b.sendAfter(fx, person.ID, ev.From, e.pre)
	return handled, nil
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
