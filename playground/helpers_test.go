package playground

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"reentrybot/botapitest"
)

// unlimited is for tests that are not about flood control.
var unlimited = botapitest.WithLimits(botapitest.Limits{Disabled: true})

func newServer(t *testing.T, opts ...botapitest.Option) *botapitest.Server {
	t.Helper()
	return botapitest.NewTest(t, opts...)
}

// mount serves a playground on the test server's own address.
func mount(s *botapitest.Server, opts Options) *Playground {
	p := New(s, opts)
	s.Mount(p)
	return p
}

// newBot is a go-telegram client of s, as the bot under test would be.
func newBot(t *testing.T, s *botapitest.Server) *bot.Bot {
	b, err := bot.New(s.Token(), bot.WithServerURL(s.URL()), bot.WithSkipGetMe(), bot.WithErrorsHandler(func(error) {}))
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// apiAnswer is a Bot API answer.
type apiAnswer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	Description string          `json:"description"`
}

// callJSON calls a Bot API method of the test server directly.
func callJSON(t *testing.T, s *botapitest.Server, method string, body any) (int, apiAnswer) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/"+method, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r apiAnswer
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s: %v: %s", method, err, raw)
	}
	return resp.StatusCode, r
}
