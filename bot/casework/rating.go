package casework

import (
	"context"
	"strconv"

	"reentrybot/bot"
	"reentrybot/channel"
	"reentrybot/store"
)

// A returnee's case buttons are the rating after a closed case (the relay
// asks the question with five buttons, ratingButtons, bot.CaseData "rate"); any
// other case button from a returnee is forged, since a returnee is shown
// no other. Longer prefixes of other features ("k:fu:", bot/reminders)
// win over this one.
func init() { bot.RegisterButtonPrefix(feature, "k:", rateCase) }

// rating reads a rating button's data; ok is false for a case button that
// is not a rating of 1 to 5.
func rating(data string) (caseID int64, n int, arg string, ok bool) {
	action, id, arg, ok := bot.ParseCaseData(data)
	n, _ = strconv.Atoi(arg)
	return id, n, arg, ok && action == "rate" && n >= 1 && n <= 5
}

// rate stores n on the person's own closed case, with its event (arg as
// pressed); rated is false when it was not theirs, not closed, or rated
// before.
func rate(ctx context.Context, tx *store.Tx, p store.Person, caseID int64, n int, arg string) (rated bool, err error) {
	rated, err = tx.RateCase(ctx, caseID, p.ID, n)
	if err != nil || !rated {
		return false, err
	}
	_, err = tx.AddCaseEvent(ctx, store.NewEvent{CaseID: caseID, Actor: "returnee", Kind: "rated", Body: arg})
	return err == nil, err
}

// rateCase thanks the person and takes the buttons away, or says the
// question is no longer open (a toast where the channel shows one); data
// that is no case button at all is left to the flows.
func rateCase(ctx context.Context, _ *bot.Bot, e *bot.ChannelEvent) (bool, []channel.Message, error) {
	if _, _, _, isCase := bot.ParseCaseData(e.Event.Data); !isCase {
		return false, nil, nil
	}
	id, n, arg, ok := rating(e.Event.Data)
	if !ok {
		msgs, err := e.Forged(ctx)
		return true, msgs, err
	}
	rated, err := rate(ctx, e.Tx, e.Person, id, n, arg)
	if err != nil || !rated {
		return true, e.Note("button_stale"), err
	}
	e.DropButtons()
	return true, e.Text("rating_thanks"), nil
}

// ratingButtons are the buttons of the question after a closed case,
// where the channel shows five; nil where it does not (it is not asked).
func ratingButtons(caseID int64, caps channel.Capabilities) []channel.Button {
	if caps.MaxButtons < 5 {
		return nil
	}
	row := make([]channel.Button, 5)
	for i := range row {
		n := strconv.Itoa(i + 1)
		row[i] = channel.Button{Label: n, Data: bot.CaseData("rate", caseID, n)}
	}
	return row
}
