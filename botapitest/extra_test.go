package botapitest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestInjectAndAllowedUpdates(t *testing.T) {
	s := newServer(t)
	id1, err := s.InjectUpdate(models.Update{Message: &models.Message{ID: 1, Date: 1, Text: "injected", Chat: models.Chat{ID: 5, Type: "private"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.InjectUpdate(models.Update{MyChatMember: &models.ChatMemberUpdated{}}); err == nil {
		t.Fatal("an unmarshalable update must be refused")
	}
	id2, err := s.InjectRawUpdate(json.RawMessage(`{"update_id":1,"chat_member":{"chat":{"id":5,"type":"private"}}}`))
	if err != nil || id2 <= id1 {
		t.Fatalf("raw inject: %d %v", id2, err)
	}
	// chat_member is withheld unless asked for, as on Telegram
	if ups := getUpdates(t, s, nil); len(ups) != 1 || ups[0].UpdateID != id1 || ups[0].Message.Text != "injected" {
		t.Fatalf("default allowed = %+v", ups)
	}
	id3, _ := s.InjectRawUpdate(json.RawMessage(`{"chat_member":{"chat":{"id":5,"type":"private"}}}`))
	ups := getUpdates(t, s, map[string]any{"offset": id1 + 1, "allowed_updates": []string{"chat_member"}})
	if len(ups) != 1 || ups[0].UpdateID != id3 {
		t.Fatalf("allowed chat_member = %+v", ups)
	}
}

func TestWebhookTargetsRoundRobin(t *testing.T) {
	s := newServer(t)
	var mu sync.Mutex
	hits := map[string]int{}
	mk := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			mu.Lock()
			hits[name]++
			mu.Unlock()
		}))
	}
	a, b := mk("a"), mk("b")
	defer a.Close()
	defer b.Close()
	s.SetWebhookTargets(a.URL, b.URL)
	if status, r := callJSON(t, s, "setWebhook", map[string]any{"url": "https://bot.example.com/hook"}); status != 200 || r.Description != "Webhook was set" {
		t.Fatalf("setWebhook: %d %+v", status, r)
	}
	u := s.NewUser("Oanh", "vi")
	for i := 0; i < 4; i++ {
		s.SendText(u, "x")
	}
	waitFor(t, func() bool { return len(s.WebhookDeliveries()) == 4 })
	mu.Lock()
	defer mu.Unlock()
	if hits["a"] != 2 || hits["b"] != 2 {
		t.Fatalf("hits = %v", hits)
	}
}

func TestTooManyRequestsPerChat(t *testing.T) {
	clock := newFakeClock()
	s := newServer(t, WithClock(clock.Now), WithLimits(Limits{PerChatBurst: 1}))
	b := newBot(t, s)
	ctx := ctxT(t)
	u1, u2 := s.NewUser("P", "vi"), s.NewUser("Q", "vi")
	for i := 0; i < 2; i++ {
		_, _ = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u1.ID, Text: "x"})
	}
	// another chat is unaffected and not an early retry
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u2.ID, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if s.TooManyRequestsIn(u1.ID) != 1 || s.TooManyRequestsIn(u2.ID) != 0 || s.EarlyRetries() != 0 {
		t.Fatalf("in u1 %d, u2 %d, early %d", s.TooManyRequestsIn(u1.ID), s.TooManyRequestsIn(u2.ID), s.EarlyRetries())
	}
	if chats := s.Chats(); len(chats) != 2 || chats[0].Title != "P" {
		t.Fatalf("Chats = %+v", chats)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	before := runtime.NumGoroutine()

	s := New()
	u := s.NewUser("R", "vi")
	s.SendText(u, "hi")
	post := func(method, body string) {
		resp, err := client.Post(s.URL()+"/bot"+s.Token()+"/"+method, "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
	}
	post("getUpdates", `{"timeout":1}`)
	post("setWebhook", `{"url":"`+recv.URL+`"}`)
	waitFor(t, func() bool { return len(s.WebhookDeliveries()) == 1 })
	post("deleteWebhook", `{}`)
	done := make(chan struct{})
	go func() { post("getUpdates", `{"timeout":30}`); close(done) }()
	time.Sleep(50 * time.Millisecond) // let the long poll park
	s.Close()
	<-done
	tr.CloseIdleConnections()

	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: before %d, after %d\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
	recv.Close()
}
