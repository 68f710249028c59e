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

// channelExtras handles ev when it is one of those; pre are messages to
// send before the flows' replies when the flows still run (the
// announcements question after /start).
func (b *Bot) channelExtras(ctx context.Context, tx *store.Tx, caps channel.Capabilities, p store.Person, ev channel.Event) (handled bool, msgs, pre []channel.Message, err error) {
	lang := p.Language
	text := func(key string) []channel.Message {
		return channel.Render(b.cat, lang, flows.Reply{Key: key}, 0, caps)
	}
	switch ev.Kind {
	case channel.EvText:
		cmd, _, ok := parseCommand(ev.Text, "")
		switch {
		case ok && cmd == "stop":
			_, err = tx.SetAnnouncementsOff(ctx, p.ID, true)
			return true, text("announce_stopped"), nil, err
		case ok && cmd == "start" && p.AnnouncementsOff:
			return false, nil, b.backOnQuestion(lang, caps), nil
		}
	case channel.EvButton:
		switch ev.Data {
		case backOnData:
			_, err = tx.SetAnnouncementsOff(ctx, p.ID, false)
			return true, text("announce_back_on"), nil, err
		case keepOffData:
			return true, text("announce_still_off"), nil, nil
		}
		action, id, arg, ok := parseCaseData(ev.Data)
		if !ok {
			return false, nil, nil, nil
		}
		if action == followupAction && arg != "" {
			stored, err := tx.AnswerFollowup(ctx, id, p.ID, arg, b.now())
			if err != nil || !stored {
				return true, text("button_stale"), nil, err
			}
			return true, text("followup_thanks_" + arg), nil, nil
		}
		n, _ := strconv.Atoi(arg)
		if action != "rate" || n < 1 || n > 5 {
			b.log.Warn("forged case button from a returnee", "from", ev.From.String(), "data", ev.Data)
			return true, text("button_stale"), nil, tx.Audit(ctx, 0, 0, "denied_callback", 0, "returnee "+string(ev.From.Channel))
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
	return false, nil, nil, nil
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
