package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"reentrybot/zalotest"
)

// Texts of the tiny OA bot below.
const (
	zaloConsentQ = "Bạn có đồng ý để Trung tâm lưu thông tin để hỗ trợ bạn tìm việc không?"
	zaloMenu     = "Bạn cần hỗ trợ gì?\n1. Việc làm\n2. Học nghề\n3. Vay vốn\n4. Giấy tờ\n5. Nhà ở\n6. Sức khỏe\n7. Khác\nGõ số để chọn."
)

// startZaloBot answers the fake OA's webhook the way the bot's Zalo
// channel does, on a few texts: /start gets the consent question with two
// buttons, consenting gets the share-phone card, the phone gets a menu of
// seven options as a numbered list (Zalo allows 5 buttons), a number gets
// an echo. It answers 200 at once and sends afterwards, as the bot does.
func startZaloBot(t *testing.T, fake *zalotest.Server) {
	t.Helper()
	token, _, _ := fake.IssueTokens()
	send := func(user string, msg map[string]any) {
		if raw := oaSend(fake, token, user, msg); !bytes.Contains(raw, []byte(`"error":0`)) {
			t.Errorf("zalo bot: the fake refused %v: %s", msg, raw)
		}
	}
	buttons := func(text string, bs ...[2]string) map[string]any {
		var out []map[string]string
		for _, b := range bs {
			out = append(out, map[string]string{"title": b[0], "type": "oa.query.hide", "payload": b[1]})
		}
		return map[string]any{"text": text, "attachment": map[string]any{"type": "template",
			"payload": map[string]any{"template_type": "button", "buttons": out}}}
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Name   string `json:"event_name"`
			Sender struct {
				ID string `json:"id"`
			} `json:"sender"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		var reply map[string]any
		switch text := ev.Message.Text; {
		case ev.Name == "user_submit_info":
			reply = map[string]any{"text": zaloMenu}
		case text == "/start":
			reply = buttons(zaloConsentQ, [2]string{"Đồng ý", "#consent:yes"}, [2]string{"Không đồng ý", "#consent:no"})
		case text == "#consent:yes":
			reply = map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]any{
				"template_type": "request_user_info",
				"elements":      []map[string]string{{"title": "Chia sẻ số điện thoại", "subtitle": "Để cán bộ gọi lại cho bạn."}}}}}
		case len(text) == 1 && text[0] >= '1' && text[0] <= '7':
			reply = map[string]any{"text": "Bạn chọn " + text + "."}
		}
		if reply != nil {
			go send(ev.Sender.ID, reply)
		}
	}))
	t.Cleanup(hook.Close)
	fake.SetWebhook(hook.URL)
}

// oaSend sends msg to a follower as the OA, a consultation message, and
// returns the fake's answer.
func oaSend(fake *zalotest.Server, token, user string, msg map[string]any) []byte {
	body, _ := json.Marshal(map[string]any{"recipient": map[string]string{"user_id": user}, "message": msg})
	req, _ := http.NewRequest(http.MethodPost, fake.URL+"/v3.0/oa/message/cs", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("access_token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return raw
}

// newZaloFixture is the playground with a fake OA and its tiny bot.
func newZaloFixture(t *testing.T) (*pgFixture, *zalotest.Server) {
	t.Helper()
	f := &pgFixture{s: newServer(t, unlimited)}
	var pg *Playground
	fake := zalotest.New(zalotest.Options{OnSend: func(id string, m zalotest.Message) { pg.ZaloSent(id, m) }})
	t.Cleanup(fake.Close)
	pg = mount(f.s, Options{Zalo: fake})
	f.pg = pg
	startZaloBot(t, fake)
	return f, fake
}

// zaloSnapshot waits for a "zalo" event whose snapshot satisfies ok.
func zaloSnapshot(t *testing.T, ev *sseReader, ok func(webZalo) bool) webZalo {
	t.Helper()
	var z webZalo
	ev.next(func(e sseEvent) bool {
		if e.name != "zalo" {
			return false
		}
		z = webZalo{}
		if err := json.Unmarshal([]byte(e.data), &z); err != nil {
			t.Fatalf("zalo event: %v: %s", err, e.data)
		}
		return ok(z)
	})
	return z
}

// lastOA is the follower's latest message from the OA in a snapshot.
func lastOA(z webZalo, id int64) webZaloMessage {
	var last webZaloMessage
	for _, m := range z.Chats[strconv.FormatInt(id, 10)] {
		if m.FromOA {
			last = m
		}
	}
	return last
}

func TestPlaygroundZalo(t *testing.T) {
	f, fake := newZaloFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ev := openEvents(t, ctx, f.s)

	out := f.post(t, "zalo-users", map[string]any{"first_name": "Lan"}, http.StatusOK)
	id := int64(out["user"].(map[string]any)["id"].(float64))
	z := zaloSnapshot(t, ev, func(z webZalo) bool { return len(z.Users) == 1 })
	if u := z.Users[0]; u.ID != id || u.Name != "Lan" || !u.Following || z.MaxText != 2000 || z.MaxButtons != 5 {
		t.Fatalf("snapshot after adding Lan: %+v", z)
	}

	// /start: the consent question with its two buttons, after Lan's own line.
	f.post(t, "zalo-send", map[string]any{"user_id": id, "text": "/start"}, http.StatusOK)
	z = zaloSnapshot(t, ev, func(z webZalo) bool { return lastOA(z, id).Text == zaloConsentQ })
	chat := z.Chats[strconv.FormatInt(id, 10)]
	if len(chat) != 2 || chat[0].FromOA || chat[0].Kind != "text" || chat[0].Text != "/start" ||
		chat[1].N != 1 || len(chat[1].Buttons) != 2 || chat[1].Buttons[0] != (webZaloButton{Title: "Đồng ý", Type: "oa.query.hide", Payload: "#consent:yes"}) {
		t.Fatalf("chat after /start: %+v", chat)
	}

	// Consenting: Lan's line shows the button's title; the share-phone card comes.
	f.post(t, "zalo-press", map[string]any{"user_id": id, "n": 1, "payload": "#consent:yes"}, http.StatusOK)
	z = zaloSnapshot(t, ev, func(z webZalo) bool { return lastOA(z, id).AskInfo })
	chat = z.Chats[strconv.FormatInt(id, 10)]
	if me := chat[2]; me.FromOA || me.Kind != "press" || me.Text != "Đồng ý" || lastOA(z, id).InfoTitle != "Chia sẻ số điện thoại" {
		t.Fatalf("chat after consenting: %+v", chat)
	}

	// The card shares the phone as Zalo gives it; then the long menu, as text.
	f.post(t, "zalo-contact", map[string]any{"user_id": id, "phone": "0912 345 678"}, http.StatusOK)
	z = zaloSnapshot(t, ev, func(z webZalo) bool { return lastOA(z, id).Text == zaloMenu })
	if u, _ := fake.User(strconv.FormatInt(id, 10)); u.Phone != "84912345678" {
		t.Fatalf("phone at the OA: %q", u.Phone)
	}
	if m := lastOA(z, id); len(m.Buttons) != 0 || m.N != 3 {
		t.Fatalf("menu: %+v", m)
	}
	f.post(t, "zalo-send", map[string]any{"user_id": id, "text": "3"}, http.StatusOK)
	zaloSnapshot(t, ev, func(z webZalo) bool { return lastOA(z, id).Text == "Bạn chọn 3." })

	// Every action reached the bot once, and it took each.
	var events []string
	for _, d := range fake.Deliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %+v", d)
		}
		events = append(events, d.Event)
	}
	if got := strings.Join(events, " "); got != "follow user_send_text user_send_text user_submit_info user_send_text" {
		t.Errorf("deliveries: %s", got)
	}

	// Zalo's limits and bad input: polite refusals, nothing delivered.
	before := len(fake.Deliveries())
	bad := []struct {
		name, action string
		body         map[string]any
		want         int
		msg          string
	}{
		{"text over 2,000 characters", "zalo-send", map[string]any{"user_id": id, "text": strings.Repeat("ă", 2001)}, 400, "longer than 2000"},
		{"blank text", "zalo-send", map[string]any{"user_id": id, "text": "  "}, 400, "empty"},
		{"unknown follower", "zalo-send", map[string]any{"user_id": 42, "text": "hi"}, 400, "unknown Zalo user_id 42"},
		{"a Telegram field", "zalo-send", map[string]any{"user_id": id, "text": "hi", "chat_id": 1}, 400, "unknown field"},
		{"a button that is not there", "zalo-press", map[string]any{"user_id": id, "n": 1, "payload": "#nope"}, 400, "no button"},
		{"a message that is not there", "zalo-press", map[string]any{"user_id": id, "n": 99, "payload": "x"}, 400, "no message 99"},
		{"not a phone", "zalo-contact", map[string]any{"user_id": id, "phone": "<b>call me</b>"}, 400, "phone must"},
		{"unknown media", "zalo-media", map[string]any{"user_id": id, "kind": "video"}, 400, "kind must"},
		{"block without a value", "zalo-block", map[string]any{"user_id": id}, 400, "required"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			out := f.post(t, tt.action, tt.body, tt.want)
			if msg, _ := out["error"].(string); !strings.Contains(msg, tt.msg) {
				t.Fatalf("error %q, want %q", msg, tt.msg)
			}
		})
	}
	if n := len(fake.Deliveries()); n != before {
		t.Fatalf("refused input reached the bot: %d deliveries, was %d", n, before)
	}
	// 2,000 characters is allowed: Zalo counts characters, not bytes.
	f.post(t, "zalo-send", map[string]any{"user_id": id, "text": strings.Repeat("ă", 2000)}, http.StatusOK)

	// Unfollowing shows on the page; closing the column hides it.
	f.post(t, "zalo-block", map[string]any{"user_id": id, "blocked": true}, http.StatusOK)
	zaloSnapshot(t, ev, func(z webZalo) bool { return len(z.Users) == 1 && !z.Users[0].Following })
	f.post(t, "zalo-hide", map[string]any{"user_id": id}, http.StatusOK)
	zaloSnapshot(t, ev, func(z webZalo) bool { return len(z.Users) == 0 })

	// Start over closes the Zalo columns too.
	f.post(t, "zalo-users", map[string]any{}, http.StatusOK)
	if st := f.state(t); len(st.Zalo.Users) != 1 || st.Zalo.Users[0].Name == "" {
		t.Fatalf("state after a second follower: %+v", st.Zalo)
	}
	f.post(t, "reset", map[string]any{}, http.StatusOK)
	if st := f.state(t); len(st.Zalo.Users) != 0 {
		t.Fatalf("Zalo columns after start over: %+v", st.Zalo.Users)
	}
}

// Without a fake OA the page has no Zalo side.
func TestPlaygroundWithoutZalo(t *testing.T) {
	f := newPlaygroundFixture(t, false)
	if st := f.state(t); st.Zalo != nil {
		t.Fatalf("zalo in the state: %+v", st.Zalo)
	}
	f.post(t, "zalo-users", map[string]any{}, http.StatusNotFound)
	f.post(t, "zalo-send", map[string]any{"user_id": 1, "text": "hi"}, http.StatusNotFound)
}
