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

// registerStop registers a returnee's /stop and answers, once for every
// channel. Only announcements stop: reminders of their own appointments
// and messages about their cases go on.
func registerStop() {
	bot.RegisterCommand(feature, "stop", answer(stop))
	bot.RegisterButton(feature, stopData, answer(stop))
	bot.RegisterButton(feature, backOnData, answer(backOn))
	bot.RegisterButton(feature, keepOffData, answer(keepOff))
	bot.RegisterCommand(feature, "start", askBackOn)
}

// answer turns a returnee's announcements off, or back on, or leaves them
// off, as c asks; the buttons of the question go once it is answered.
func answer(c choice) func(ctx context.Context, b *bot.Bot, e *bot.ChannelEvent) (bool, []channel.Message, error) {
	return func(ctx context.Context, b *bot.Bot, e *bot.ChannelEvent) (bool, []channel.Message, error) {
		if err := set(ctx, e.Tx, e.Person.ID, c); err != nil {
			return true, nil, err
		}
		if c == stop {
			e.Toast("toast_announce_stopped") // the button under an announcement
		} else {
			e.DropButtons()
		}
		return true, e.Text(c.reply()), nil
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
// whether they want them again, with Có/Không buttons where the channel
// has two. /start alone must not turn them on: Telegram's "Restart" sends
// it too, without the person meaning announcements (issue 16, item 5).
// The flows still answer /start after it.
func askBackOn(_ context.Context, b *bot.Bot, e *bot.ChannelEvent) (bool, []channel.Message, error) {
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
