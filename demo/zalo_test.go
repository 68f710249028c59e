package demo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"reentrybot/config"
	"reentrybot/dbtest"
	"reentrybot/demo"
)

// The demo starts the fake Zalo OA beside the test Bot API server, with
// the bot connected to it: a follower who follows the OA is greeted.
func TestDemoZaloFollowerIsGreeted(t *testing.T) {
	d := startDemo(t)
	u := d.Zalo.NewUser("Lan")
	if dl, err := d.Zalo.Follow(u.ID); err != nil || dl.Status != http.StatusOK {
		t.Fatalf("follow: %+v %v", dl, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range d.Zalo.Messages(u.ID) {
			if strings.Contains(m.Text, "Xin chào") {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no greeting on Zalo: %+v", d.Zalo.Messages(u.ID))
}

// The playground drives a Zalo returnee through the real bot: added from
// the page's API, /start brings the consent question. It has more options
// than Zalo's 5 buttons, so it comes as a numbered list in plain text, and
// typing its number answers it.
func TestDemoPlaygroundZaloConsent(t *testing.T) {
	d := startDemo(t)
	post := func(action, body string) map[string]any {
		t.Helper()
		resp, err := http.Post(d.URL()+"api/"+action, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out["ok"] != true {
			t.Fatalf("%s %s: %v %v", action, body, out, err)
		}
		return out
	}
	type zmsg struct {
		FromOA  bool              `json:"from_oa"`
		Text    string            `json:"text"`
		Buttons []json.RawMessage `json:"buttons"`
	}
	// waitOA waits for a message from the OA whose text has all of want,
	// sent after the person's last action.
	waitOA := func(id int64, want ...string) zmsg {
		t.Helper()
		var last []zmsg
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			resp, err := http.Get(d.URL() + "api/state")
			if err != nil {
				t.Fatal(err)
			}
			var st struct {
				Zalo struct {
					Chats map[string][]zmsg `json:"chats"`
				} `json:"zalo"`
			}
			err = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			last = st.Zalo.Chats[strconv.FormatInt(id, 10)]
			since := 0
			for i, m := range last {
				if !m.FromOA {
					since = i + 1
				}
			}
		next:
			for _, m := range last[since:] {
				for _, w := range want {
					if !m.FromOA || !strings.Contains(m.Text, w) {
						continue next
					}
				}
				return m
			}
		}
		t.Fatalf("no OA message with %q on the page: %+v", want, last)
		return zmsg{}
	}
	id := int64(post("zalo-users", `{"first_name":"Lan"}`)["user"].(map[string]any)["id"].(float64))
	// Following is starting: the greeting (which names her) comes first.
	// /start only after it, or the greeting's menu could replace /start's
	// while she types.
	waitOA(id, "Xin chào Lan!")
	waitOA(id, "Bạn có đồng ý không?")
	post("zalo-send", fmt.Sprintf(`{"user_id":%d,"text":"/start"}`, id))
	q := waitOA(id, "Bạn có đồng ý không?", "1. ✅ Đồng ý tất cả", "Gõ số")
	if len(q.Buttons) != 0 || strings.ContainsAny(q.Text, "<>*") {
		t.Fatalf("consent question not as Zalo shows it: %+v", q)
	}
	post("zalo-send", fmt.Sprintf(`{"user_id":%d,"text":"1"}`, id))
	waitOA(id, "Cảm ơn bạn.")
}

// startDemo starts a demo on a fresh database, stopped at the test's end.
func startDemo(t *testing.T) *demo.Demo {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "off", "DATABASE_URL": dbtest.URL(t)}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Start(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	return d
}
