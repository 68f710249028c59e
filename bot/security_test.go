package bot_test

import (
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"
)

// User text is data: SQL metacharacters are stored as typed, HTML is shown
// escaped everywhere (the returnee's summary, the counsellor's card and
// relayed messages), and the test server accepts every message.
func TestUserTextIsData(t *testing.T) {
	r := newRig(t, withFastLimits())
	tc := openTakenCaseNamed(t, r, "Robert'); DROP TABLE people;-- <b>Bảo</b>")
	evil := `<script>alert("x")</script> & 'quotes' ; DELETE FROM cases; --`
	tc.d.say(evil)
	var relayed shown
	r.waitFor("the message in the topic", func() bool {
		for _, m := range r.api.TopicMessages(tc.g.ID, tc.topic.ThreadID) {
			if strings.Contains(m.Text, "alert") {
				relayed = shown{m.Text, m.RawText}
				return true
			}
		}
		return false
	})
	if !strings.Contains(relayed.raw, "&lt;script&gt;") || strings.Contains(relayed.raw, "<script>") {
		t.Fatalf("relayed text not escaped: %q", relayed.raw)
	}
	if !strings.Contains(relayed.text, evil) {
		t.Fatalf("relayed text changed: %q", relayed.text)
	}
	var name, body string
	if err := r.x.Get(&name, `SELECT full_name FROM people WHERE external_id = $1`, itoa(tc.u.ID)); err != nil {
		t.Fatal(err)
	}
	if name != "Robert'); DROP TABLE people;-- <b>Bảo</b>" {
		t.Fatalf("name stored as %q", name)
	}
	if err := r.x.Get(&body, `SELECT body FROM case_events WHERE kind = 'message' AND actor = 'returnee' ORDER BY id DESC LIMIT 1`); err != nil || body != evil {
		t.Fatalf("message stored as %q (%v)", body, err)
	}
	for _, m := range r.api.TopicMessages(tc.g.ID, tc.topic.ThreadID) {
		if strings.Contains(m.Text, "Robert") && strings.Contains(m.RawText, "<b>Bảo</b>") {
			t.Fatalf("name not escaped in the card: %q", m.RawText)
		}
	}
	for _, c := range r.api.CallLog() {
		if c.Status != 200 {
			t.Errorf("the test server refused %s: %d %s", c.Method, c.Status, c.Description)
		}
	}
}

// shown is a message as seen (text) and as sent (raw HTML).
type shown struct{ text, raw string }

// A returnee cannot rate, take or close another person's case with forged
// button data.
func TestForgedCallbackOnAnotherPersonsCase(t *testing.T) {
	r := newRig(t, withFastLimits())
	tc := openTakenCase(t, r)
	other := r.api.NewUser("Khác", "vi")
	r.waitSeen(r.api.SendText(other, "/start"))
	msgs := r.waitBot(other.ID, 1)
	for _, data := range []string{"k:rate:1:1", "k:take:1", "k:out:1:job_found", "k:close:1"} {
		id, err := r.api.InjectUpdate(models.Update{CallbackQuery: &models.CallbackQuery{
			ID: "forged", From: models.User{ID: other.ID, FirstName: "Khác"},
			Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
				ID: msgs[0].ID, Date: 1700000000, Chat: models.Chat{ID: other.ID, Type: models.ChatTypePrivate},
			}},
			Data: data,
		}})
		if err != nil {
			t.Fatal(err)
		}
		r.waitSeen(id)
	}
	var c struct {
		Status string `db:"status"`
		Rating *int   `db:"rating"`
	}
	if err := r.x.Get(&c, `SELECT status, rating FROM cases WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	if c.Status != "assigned" || c.Rating != nil {
		t.Fatalf("forged buttons changed the case: %+v", c)
	}
	_ = tc
}
