package bot

import (
	"encoding/json"
	"reentrybot/channel/telegram"
	"testing"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Any bytes Telegram (or a forger who has the webhook secret) could post
// decode into an update that the transport translates without panicking.
func FuzzDecodeUpdate(f *testing.F) {
	for _, s := range []string{
		`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"first_name":"A"},"text":"/start s_abc"}}`,
		`{"update_id":2,"callback_query":{"id":"q","from":{"id":5,"first_name":"A"},"message":{"message_id":3,"date":1,"chat":{"id":5,"type":"private"}},"data":"7:m:job"}}`,
		`{"update_id":3,"callback_query":{"id":"q","from":{"id":5},"message":{"message_id":3,"date":0,"chat":{"id":5,"type":"private"}},"data":"k:take:1"}}`,
		`{"update_id":4,"message":{"message_id":1,"date":1,"chat":{"id":-100,"type":"supergroup","is_forum":true},"from":{"id":6},"message_thread_id":9,"is_topic_message":true,"text":"! note"}}`,
		`{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5},"contact":{"phone_number":"+84912345678","first_name":"A","user_id":5}}}`,
		`{"update_id":6,"my_chat_member":{"chat":{"id":5,"type":"private"},"from":{"id":5},"date":1,"old_chat_member":{"status":"member","user":{"id":7}},"new_chat_member":{"status":"kicked","user":{"id":7},"until_date":0}}}`,
		`{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5},"sticker":{"file_id":"x","file_unique_id":"y","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false}}}`,
		`{}`, `[]`, `{"update_id":"x"}`,
	} {
		f.Add([]byte(s))
	}
	b := &Bot{me: &models.User{Username: "reentry_test_bot"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var upd models.Update
		if json.Unmarshal(data, &upd) != nil {
			return
		}
		_ = telegram.ChatKey(&upd)
		_ = telegram.Kind(&upd)
		_ = routes.forUpdate(&upd) // the features' matchers (the staff group's, membership)
		in, _, ok := telegram.Input(&upd, b.me.Username)
		if ok && !utf8.ValidString(in.Text) {
			t.Fatalf("input text not UTF-8: %q", in.Text)
		}
		if cq := upd.CallbackQuery; cq != nil {
			parseCaseData(cq.Data)
		}
	})
}

func FuzzParseCaseData(f *testing.F) {
	for _, s := range []string{"k:take:1", "k:out:12:job_found", "k:rate:3:5", "k:", "k:x:-1", "k:take:99999999999999999999", "1:k:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		action, id, arg, ok := parseCaseData(data)
		if !ok {
			return
		}
		if id <= 0 {
			t.Fatalf("%q gave case %d", data, id)
		}
		var back string
		if arg != "" {
			back = caseData(action, id, arg)
		} else {
			back = caseData(action, id)
		}
		if a2, id2, arg2, ok2 := parseCaseData(back); !ok2 || a2 != action || id2 != id || arg2 != arg {
			t.Fatalf("%q does not round-trip: %q", data, back)
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/start", "/start@reentry_test_bot s_x", "/menu@Other", "/", "//", "/xin chào", "/take 12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cmd, _, ok := telegram.ParseCommand(text, "reentry_test_bot")
		if ok && (cmd == "" || len(cmd) > len(text)) {
			t.Fatalf("telegram.ParseCommand(%q) = %q", text, cmd)
		}
	})
}
