package botapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
)

// fakeClock drives flood control deterministically.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	return NewTest(t, opts...)
}

// unlimited is for tests that send a lot and are not about flood control.
var unlimited = WithLimits(Limits{Disabled: true})

func newBot(t *testing.T, s *Server, opts ...bot.Option) *bot.Bot {
	t.Helper()
	opts = append([]bot.Option{
		bot.WithServerURL(s.URL()),
		bot.WithSkipGetMe(),
		bot.WithErrorsHandler(func(error) {}),
	}, opts...)
	b, err := bot.New(s.Token(), opts...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type rawResp struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// callJSON calls a method with a JSON body, as a hand-written poller would.
func callJSON(t *testing.T, s *Server, method string, body any) (int, rawResp) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/"+method, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return decodeResp(t, resp)
}

func callForm(t *testing.T, s *Server, method string, form url.Values) (int, rawResp) {
	t.Helper()
	resp, err := http.PostForm(s.URL()+"/bot"+s.Token()+"/"+method, form)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return decodeResp(t, resp)
}

func decodeResp(t *testing.T, resp *http.Response) (int, rawResp) {
	t.Helper()
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r rawResp
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return resp.StatusCode, r
}

type rawUpdate struct {
	UpdateID int64 `json:"update_id"`
	Message  *struct {
		MessageID int    `json:"message_id"`
		Text      string `json:"text"`
		ThreadID  int    `json:"message_thread_id"`
		IsTopic   bool   `json:"is_topic_message"`
		Entities  []struct {
			Type   string `json:"type"`
			Offset int    `json:"offset"`
			Length int    `json:"length"`
		} `json:"entities"`
	} `json:"message"`
	MyChatMember *struct {
		NewChatMember struct {
			Status string `json:"status"`
		} `json:"new_chat_member"`
	} `json:"my_chat_member"`
}

func getUpdates(t *testing.T, s *Server, body map[string]any) []rawUpdate {
	t.Helper()
	status, r := callJSON(t, s, "getUpdates", body)
	if status != 200 || !r.OK {
		t.Fatalf("getUpdates: %d %s", status, r.Description)
	}
	var ups []rawUpdate
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatal(err)
	}
	return ups
}
