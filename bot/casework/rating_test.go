package casework_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/channel"
	"reentrybot/clock"
	"reentrybot/store"
)

// ratingOf is a case's stored rating, 0 for none, and its "rated" events.
func ratingOf(r *bottest.Rig, id int64) (rating, events int) {
	r.T.Helper()
	if err := r.X.QueryRow(`SELECT coalesce(rating, 0), (SELECT count(*) FROM case_events WHERE case_id = $1 AND kind = 'rated') FROM cases WHERE id = $1`, id).Scan(&rating, &events); err != nil {
		r.T.Fatal(err)
	}
	return rating, events
}

// question waits for the rating question of case id in u's chat.
func question(r *bottest.Rig, u botapitest.User, id int64) botapitest.Message {
	r.T.Helper()
	var q botapitest.Message
	r.WaitFor("the rating question", func() bool {
		for _, m := range r.BotMessages(u.ID) {
			for _, row := range rows(m) {
				for _, b := range row {
					if b.CallbackData == bot.CaseData("rate", id, "1") {
						q = m
						return true
					}
				}
			}
		}
		return false
	})
	return q
}

func rows(m botapitest.Message) [][]models.InlineKeyboardButton {
	if m.Markup == nil {
		return nil
	}
	return m.Markup.InlineKeyboard
}

// toast presses data on msg as u and returns what Telegram showed.
func toast(r *bottest.Rig, u botapitest.User, msg botapitest.Message, data string) string {
	r.T.Helper()
	before := len(r.API.CallbackAnswers())
	id, err := r.API.PressButton(u, msg, data)
	if err != nil {
		r.T.Fatal(err)
	}
	r.WaitSeen(id)
	r.WaitFor("the press answered", func() bool { return len(r.API.CallbackAnswers()) > before })
	return r.API.CallbackAnswers()[before].Text
}

// forge delivers u's press of data on msg, which never had that button
// (a crafted client), as Telegram would.
func forge(r *bottest.Rig, u botapitest.User, msg botapitest.Message, data string) {
	r.T.Helper()
	id, err := r.API.InjectUpdate(models.Update{CallbackQuery: &models.CallbackQuery{
		ID: "forged", From: models.User{ID: u.ID, FirstName: u.FirstName, LanguageCode: "vi"},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
			ID: msg.ID, Date: 1700000000, Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate},
		}},
		Data: data,
	}})
	if err != nil {
		r.T.Fatal(err)
	}
	r.WaitSeen(id)
}

// After a closed case the returnee on Telegram is asked for a rating: a
// press stores it once, thanks them and takes the buttons away; pressing
// again, rating another person's case, or a case button that is no rating
// changes nothing (the last is logged as forged).
func TestRatingOnTelegram(t *testing.T) {
	r := bottest.New(t, bottest.WithFastLimits())
	r.LoadCommunes()
	u, p := r.Returnee("Lê Văn An")
	_, q := r.Returnee("Phạm Thị Bình")
	id := addCase(r, p, "job", store.CaseClosed, 0, clock.System())
	rated := addCase(r, p, "loan", store.CaseClosed, 0, clock.System())
	theirs := addCase(r, q, "job", store.CaseClosed, 0, clock.System())
	if err := r.DB.InTx(r.Ctx, func(tx *store.Tx) error {
		for _, c := range []int64{id, rated} {
			if _, err := tx.AddCaseEvent(r.Ctx, store.NewEvent{CaseID: c, Actor: "staff", Kind: "closed", Body: "job_found", RelayTo: "returnee"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.Run() // the sweep at start relays the closings: notice, then the question
	first, second := question(r, u, id), question(r, u, rated)
	r.Exec(`UPDATE cases SET rating = 3 WHERE id = $1`, rated) // rated meanwhile (another device)

	if got := toast(r, u, first, bot.CaseData("rate", id, "4")); got != "" {
		t.Errorf("a rating's toast %q, want none", got)
	}
	r.WaitText(u.ID, r.Cat.T("vi", "rating_thanks", nil))
	r.WaitFor("the buttons gone", func() bool {
		m, ok := r.API.Message(u.ID, first.ID)
		return ok && m.Markup == nil
	})
	if got, events := ratingOf(r, id); got != 4 || events != 1 {
		t.Fatalf("rating %d with %d events, want 4 with 1", got, events)
	}

	n := len(r.BotMessages(u.ID))
	if got, want := toast(r, u, second, bot.CaseData("rate", rated, "5")), r.Cat.T("vi", "button_stale", nil); got != want {
		t.Errorf("rating a rated case: toast %q, want %q", got, want)
	}
	// A crafted client's presses: another person's case is stale, the rest
	// are no rating and logged as forged.
	for _, f := range []struct {
		data   string
		forged int
	}{{bot.CaseData("rate", theirs, "5"), 0}, {bot.CaseData("rate", id, "9"), 1}, {bot.CaseData("take", id), 2}} {
		forge(r, u, first, f.data)
		if got := audited(r, "denied_callback", "returnee telegram"); got != f.forged {
			t.Errorf("after %s: %d presses logged as forged, want %d", f.data, got, f.forged)
		}
	}
	if got := len(r.BotMessages(u.ID)); got != n {
		t.Errorf("%d messages after the refused presses, want none", got-n)
	}
	for _, c := range []struct{ id, want int64 }{{id, 4}, {rated, 3}, {theirs, 0}} {
		if got, _ := ratingOf(r, c.id); int64(got) != c.want {
			t.Errorf("case %d rated %d, want %d", c.id, got, c.want)
		}
	}
}

// On another channel the same: a rating of one's own closed case is stored
// once and thanked; again, it is stale; a case button that is no rating
// is refused as forged; button data that is no case button at all goes on
// to the flows.
func TestRatingOnChannel(t *testing.T) {
	r := bottest.New(t, bottest.WithFastLimits())
	r.LoadCommunes()
	ch := &bottest.Channel{}
	r.Bot.AddChannel(ch)
	r.Run()
	var p int64
	if err := r.X.Get(&p, `
INSERT INTO people (channel, external_id, chat_ref, language, full_name, commune_code)
VALUES ('test', 'a1', 'a1', 'vi', 'Lê Văn An', '07840') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	id := addCase(r, p, "job", store.CaseClosed, 0, clock.System())
	n := 0
	send := func(data string) string {
		t.Helper()
		n++
		before := len(ch.Messages("a1"))
		ev := channel.Event{ID: fmt.Sprintf("a1-%d", n), Kind: channel.EvButton, Data: data, At: clock.System(),
			From: channel.Address{Channel: "test", Ref: "a1"}, Name: "An"}
		if err := <-r.Bot.HandleEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		r.WaitFor("the answer to "+data, func() bool { return len(ch.Messages("a1")) > before })
		return ch.Messages("a1")[before].Text
	}
	plain := func(key string) string { return channel.PlainText(r.Cat.T("vi", key, nil)) }
	tests := []struct {
		name, data, want string
		rating, forged   int
	}{
		{"a rating", bot.CaseData("rate", id, "5"), plain("rating_thanks"), 5, 0},
		{"again", bot.CaseData("rate", id, "2"), plain("button_stale"), 5, 0},
		{"no rating", bot.CaseData("out", id, "job_found"), plain("button_stale"), 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := send(tt.data); got != tt.want {
				t.Errorf("answered %q, want %q", got, tt.want)
			}
			if got, _ := ratingOf(r, id); got != tt.rating {
				t.Errorf("rating %d, want %d", got, tt.rating)
			}
			if got := audited(r, "denied_callback", "returnee test"); got != tt.forged {
				t.Errorf("%d logged as forged, want %d", got, tt.forged)
			}
		})
	}
	send("zz") // the flows' answer
	if got := audited(r, "denied_callback", "returnee test"); got != 1 {
		t.Errorf("data of no case button logged as a forged case button (%d rows)", got)
	}
}
