package playground

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"reentrybot/zalotest"
)

// TestZaloReturnees checks the Zalo side against the Returnees contract
// the page relies on: each action reaches the webhook as Zalo's event.
func TestZaloReturnees(t *testing.T) {
	fake := zalotest.New(zalotest.Options{})
	defer fake.Close()
	var mu sync.Mutex
	var events []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Name    string `json:"event_name"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
		}
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		events = append(events, ev.Name+" "+ev.Message.Text)
		mu.Unlock()
	}))
	defer hook.Close()
	fake.SetWebhook(hook.URL)
	z := &Zalo{S: fake}
	var r Returnees = z
	lan := r.NewPerson("Lan", "vi")
	if got, ok := r.Person(lan.ID); !ok || got.FirstName != "Lan" || got.Blocked {
		t.Fatalf("Person = %+v, %v", got, ok)
	}
	// The OA sends Lan a message with a button, as the bot would.
	a, _, _ := fake.IssueTokens()
	if raw := oaSend(fake, a, itoa(lan.ID), map[string]any{"text": "Chọn:", "attachment": map[string]any{"type": "template", "payload": map[string]any{
		"buttons": []map[string]string{{"title": "Có", "type": "oa.query.hide", "payload": "#btn:1:yes"}}}}}); !bytes.Contains(raw, []byte(`"error":0`)) {
		t.Fatalf("send as the OA: %s", raw)
	}

	tests := []struct {
		name, wantErr, event string
		act                  func() (int64, error)
	}{
		{"text", "", "user_send_text xin chào", func() (int64, error) { return r.SendText(lan.ID, "xin chào") }},
		{"press", "", "user_send_text #btn:1:yes", func() (int64, error) { return r.Press(lan.ID, 1, "#btn:1:yes") }},
		{"press a button not there", `no button`, "", func() (int64, error) { return r.Press(lan.ID, 1, "#btn:1:no") }},
		{"press without the message", "has no message 9", "", func() (int64, error) { return r.Press(lan.ID, 9, "x") }},
		{"contact", "", "user_submit_info ", func() (int64, error) { return r.ShareContact(lan.ID, "0912345678") }},
		{"photo", "", "user_send_image ", func() (int64, error) { return r.SendMedia(lan.ID, Media{Kind: "photo"}) }},
		{"location", "", "user_send_location ", func() (int64, error) { return r.SendMedia(lan.ID, Media{Kind: "location"}) }},
		{"unknown media", `media kind "video"`, "", func() (int64, error) { return r.SendMedia(lan.ID, Media{Kind: "video"}) }},
		{"unknown person", "unknown user_id 42", "", func() (int64, error) { return r.SendText(42, "hi") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			before := len(events)
			mu.Unlock()
			id, err := tt.act()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil || id == 0 || len(events) != before+1 || events[before] != tt.event {
				t.Fatalf("id %d, err %v, events %q; want %q", id, err, events[before:], tt.event)
			}
		})
	}
	if u, _ := fake.User(itoa(lan.ID)); u.Phone != "84912345678" {
		t.Errorf("phone shared as %q", u.Phone)
	}
	if err := r.SetBlocked(lan.ID, true); err != nil {
		t.Fatal(err)
	}
	if p, _ := r.Person(lan.ID); !p.Blocked {
		t.Error("unfollowing does not show as blocked")
	}
	if h := z.History(lan.ID); len(h) != 1 || h[0].Text != "Chọn:" {
		t.Errorf("history %+v", h)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
