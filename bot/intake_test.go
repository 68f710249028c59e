package bot_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/lib/pq"

	"reentrybot/store"
)

// An update the polling process handles from memory waits for an earlier
// update of the same chat that another process wrote to the inbox and has
// not handled: the chat is then read from the inbox, the earlier first.
func TestFromMemoryWaitsForEarlierInInbox(t *testing.T) {
	r := newRig(t)
	r.run()
	// Past the bot's first sweep of the inbox: a first update answered.
	other := r.api.NewUser("Bình", "vi")
	r.waitSeen(r.api.SendText(other, "/start"))

	u := r.api.NewUser("An", "vi")
	earlier, err := json.Marshal(models.Update{ID: 999, Message: &models.Message{
		ID: 1, Date: int(time.Now().Unix()), Text: "/start",
		From: &models.User{ID: u.ID, FirstName: u.FirstName, LanguageCode: "vi"},
		Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate},
	}})
	if err != nil {
		t.Fatal(err)
	}
	chat := strconv.FormatInt(u.ID, 10)
	if _, err := r.db.AddTelegramToInbox(r.ctx, []store.InboxEvent{{Channel: "telegram", EventID: "999", Address: chat, Event: earlier}}); err != nil {
		t.Fatal(err)
	}
	later := r.api.SendText(u, "xin chào")
	r.waitSeen(999, later)

	var at []time.Time
	if err := r.x.Select(&at, `SELECT handled_at FROM inbox WHERE channel = 'telegram' AND event_id = ANY($1) ORDER BY event_id::bigint`,
		pq.StringArray{"999", strconv.FormatInt(later, 10)}); err != nil {
		t.Fatal(err)
	}
	if len(at) != 2 || !at[0].Before(at[1]) {
		t.Errorf("handled at %v: want the earlier update (999) handled first", at)
	}
	if msgs := r.waitBot(u.ID, 2); len(msgs) < 2 {
		t.Errorf("answers %+v, want one to each update", msgs)
	}
}
