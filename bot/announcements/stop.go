package announcements

import (
	"context"

	"reentrybot/bot"
	"reentrybot/channel"
	"reentrybot/store"
)

// Callback data of the stop button under every announcement, and of the
// answers to "Nhận lại thông báo?".
const (
	stopData    = "n:stop"
	backOnData  = "n:on"
	keepOffData = "n:off"
)

// choice is what a returnee asked of announcements.
type choice int

const (
	stop    choice = iota // /stop, or the button under an announcement
	backOn                // "Có" under the question /start asks
	keepOff               // "Không" under it
)

// reply is the catalog key of the answer to c.
func (c choice) reply() string {
	switch c {
	case stop:
		return "announce_stopped"
	case backOn:
		return "announce_back_on"
	}
	return "announce_still_off"
}

// registerStop registers a returnee's /stop and answers, on Telegram and
// on every other channel. Only announcements stop: reminders of their own
// appointments and messages about their cases go on.
func registerStop() {
	bot.RegisterCommand(feature, "stop", onTelegram(stop))
	bot.RegisterButton(feature, stopData, onTelegram(stop))
	bot.RegisterButton(feature, backOnData, onTelegram(backOn))
	bot.RegisterButton(feature, keepOffData, onTelegram(keepOff))
	bot.RegisterStart(feature, askBackOn)
	bot.RegisterChannelCommand(feature, "stop", onChannel(stop))
	bot.RegisterChannelCommand(feature, "start", askBackOnChannel)
	bot.RegisterChannelButton(feature, backOnData, onChannel(backOn))
	bot.RegisterChannelButton(feature, keepOffData, onChannel(keepOff))
}

// onTelegram turns a returnee's announcements off, or back on, or leaves
// them off, as c asks.
func onTelegram(c choice) func(ctx context.Context, b *bot.Bot, p *bot.Press) error {
	return func(ctx context.Context, b *bot.Bot, p *bot.Press) error {
		if err := set(ctx, p.Tx, p.Person.ID, c); err != nil {
			return err
		}
		lang := p.Person.Language
		if c == stop && p.Data != "" {
			p.Toast(b.Catalog().T(lang, "toast_announce_stopped", nil))
		}
		if c != stop {
			p.DropButtons()
		}
		p.Reply(b.Catalog().T(lang, c.reply(), nil))
		return nil
	}
}

// onChannel is onTelegram on another channel.
func onChannel(c choice) func(ctx context.Context, b *bot.Bot, e *bot.ChannelEvent) (bool, []channel.Message, error) {
	return func(ctx context.Context, b *bot.Bot, e *bot.ChannelEvent) (bool, []channel.Message, error) {
		return true, e.Text(c.reply()), set(ctx, e.Tx, e.Person.ID, c)
	}
}

// set records c; keeping them off changes nothing.
func set(ctx context.Context, tx *store.Tx, person int64, c choice) error {
	if c == keepOff {
		return nil
	}
	_, err := tx.SetAnnouncementsOff(ctx, person, c == stop)
	return err
}

// askBackOn asks a person who turned announcements off and sends /start
// whether they want them again. /start alone must not turn them on:
// Telegram's "Restart" sends it too, without the person meaning
// announcements (issue 16, item 5).
func askBackOn(_ context.Context, b *bot.Bot, p *bot.Press) error {
	if p.Person.AnnouncementsOff {
		lang := p.Person.Language
		p.ReplyButtons(b.Catalog().T(lang, "announce_ask_back_on", nil), yesNo(b, lang)...)
	}
	return nil
}

// askBackOnChannel is askBackOn on another channel, with Có/Không buttons
// where the channel has two; the flows still answer /start after it.
func askBackOnChannel(_ context.Context, b *bot.Bot, e *bot.ChannelEvent) (bool, []channel.Message, error) {
	if !e.Person.AnnouncementsOff {
		return false, nil, nil
	}
	m := channel.Message{Text: e.Markup("announce_ask_back_on")}
	if e.Caps.MaxButtons >= 2 {
		m.Buttons = [][]channel.Button{yesNo(b, e.Person.Language)}
	}
	e.Before(m)
	return false, nil, nil
}

func yesNo(b *bot.Bot, lang string) []channel.Button {
	return []channel.Button{
		{Label: b.Catalog().T(lang, "btn_yes", nil), Data: backOnData},
		{Label: b.Catalog().T(lang, "btn_no", nil), Data: keepOffData},
	}
}
