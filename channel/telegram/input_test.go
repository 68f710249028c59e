package telegram

import (
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"reentrybot/channel"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text, cmd, arg string
		ok             bool
	}{
		{"/start", "start", "", true},
		{"/START abc_123", "start", "abc_123", true},
		{"/menu@reentry_test_bot", "menu", "", true},
		{"/menu@other_bot", "", "", false},
		{"/", "", "", false},
		{"hello /start", "", "", false},
		{"/xin-chào", "", "", false},
		{"/help  extra words ", "help", "extra words", true},
	}
	for _, tt := range tests {
		cmd, arg, ok := ParseCommand(tt.text, "reentry_test_bot")
		if cmd != tt.cmd || arg != tt.arg || ok != tt.ok {
			t.Errorf("ParseCommand(%q) = %q, %q, %v; want %q, %q, %v", tt.text, cmd, arg, ok, tt.cmd, tt.arg, tt.ok)
		}
	}
}

func TestCallbackData(t *testing.T) {
	tests := []struct {
		data    string
		version int64
		id      string
	}{
		{channel.ButtonData(12, "menu.job"), 12, "menu.job"},
		{"0:x", 0, "x"},
		{"garbage", -1, ""},
		{"-3:x", -1, ""},
		{"v:x", -1, ""},
		{"5:a:b", 5, "a:b"},
	}
	for _, tt := range tests {
		v, id := ParseCallback(tt.data)
		if v != tt.version || id != tt.id {
			t.Errorf("ParseCallback(%q) = %d, %q; want %d, %q", tt.data, v, id, tt.version, tt.id)
		}
	}
}

func FuzzParseCallback(f *testing.F) {
	for _, s := range []string{"1:menu", "0:", ":", "99999999999999999999:x", "1:é", "-1:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		v, id := ParseCallback(data)
		if v < -1 {
			t.Fatalf("version %d from %q", v, data)
		}
		if v >= 0 {
			if v2, id2 := ParseCallback(channel.ButtonData(v, id)); v2 != v || id2 != id {
				t.Fatalf("round trip of %q: %d %q → %d %q", data, v, id, v2, id2)
			}
		}
	})
}

// A private-chat update as the channel layer tells it: what a feature's
// handler reads on every channel.
func TestEvent(t *testing.T) {
	user := &models.User{ID: 42, FirstName: "An", LanguageCode: "vi"}
	private := models.Chat{ID: 42, Type: models.ChatTypePrivate}
	msg := func(m models.Message) *models.Update {
		m.Chat, m.From, m.Date = private, user, 1764900000
		return &models.Update{ID: 7, Message: &m}
	}
	tests := []struct {
		name string
		upd  *models.Update
		want channel.Event // ID, From, Name, LangHint and At are checked apart
		ok   bool
	}{
		{"text", msg(models.Message{Text: "  xin chao "}), channel.Event{Kind: channel.EvText, Text: "xin chao"}, true},
		{"command to this bot", msg(models.Message{Text: "/stop@reentry_test_bot"}), channel.Event{Kind: channel.EvText, Text: "/stop"}, true},
		{"command with an argument", msg(models.Message{Text: "/start c_07840"}), channel.Event{Kind: channel.EvText, Text: "/start c_07840"}, true},
		{"own phone", msg(models.Message{Contact: &models.Contact{PhoneNumber: "+84912345678", UserID: 42}}), channel.Event{Kind: channel.EvContact, Phone: "+84912345678"}, true},
		{"someone else's phone is media", msg(models.Message{Contact: &models.Contact{PhoneNumber: "+84900000000", UserID: 9}}), channel.Event{Kind: channel.EvMedia, Media: "contact"}, true},
		{"photo", msg(models.Message{Photo: []models.PhotoSize{{FileID: "p"}}}), channel.Event{Kind: channel.EvMedia, Media: "photo"}, true},
		{"location", msg(models.Message{Location: &models.Location{Latitude: 21.2, Longitude: 106.1}}), channel.Event{Kind: channel.EvLocation, Media: "location"}, true},
		{"button", &models.Update{ID: 7, CallbackQuery: &models.CallbackQuery{ID: "q", From: *user, Data: "k:rate:3:5",
			Message: models.MaybeInaccessibleMessage{Message: &models.Message{ID: 5, Chat: private, Date: 1764900000}}}},
			channel.Event{Kind: channel.EvButton, Data: "k:rate:3:5"}, true},
		{"a group message is not a returnee's", &models.Update{ID: 7, Message: &models.Message{Text: "hi", From: user, Chat: models.Chat{ID: -100, Type: models.ChatTypeSupergroup}}}, channel.Event{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, from, ok := Input(tt.upd, "reentry_test_bot")
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			ev := Event(tt.upd, in, from)
			if ev.ID != "7" || ev.From != (channel.Address{Channel: Name, Ref: "42"}) || ev.Name != "An" || ev.LangHint != "vi" || !ev.At.Equal(TimeOf(1764900000)) {
				t.Errorf("event %+v: id, address, name, language or time wrong", ev)
			}
			ev.ID, ev.From, ev.Name, ev.LangHint, ev.At = "", channel.Address{}, "", "", time.Time{}
			if ev != tt.want {
				t.Errorf("event %+v, want %+v", ev, tt.want)
			}
		})
	}
}
