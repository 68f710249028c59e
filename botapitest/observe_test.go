package botapitest

import (
	"net/http"
	"testing"
	"time"
)

// TestObserverAPI covers what other packages (the playground) read: chats
// with their user and blocked flag, one message, the bot, change signals,
// and a handler mounted beside the Bot API.
func TestObserverAPI(t *testing.T) {
	s := newServer(t, WithBotUser(77, "obs_bot"))
	if b := s.BotUser(); b.ID != 77 || b.Username != "obs_bot" {
		t.Fatalf("BotUser = %+v", b)
	}
	changed := s.Changed()
	u := s.NewUser("Lan", "vi")
	s.SendText(u, "chào")
	select {
	case <-changed:
	case <-time.After(time.Second):
		t.Fatal("Changed was not closed by a new message")
	}
	s.Block(u)
	c, ok := s.Chat(u.ID)
	if !ok || c.User == nil || c.User.FirstName != "Lan" || !c.Blocked || c.Title != "Lan" {
		t.Fatalf("Chat = %+v, %v", c, ok)
	}
	g := s.NewGroup("Tổ", true)
	if c, ok := s.Chat(g.ID); !ok || c.User != nil || !c.Forum {
		t.Fatalf("group Chat = %+v, %v", c, ok)
	}
	if _, ok := s.Chat(1); ok {
		t.Fatal("Chat(1) found a chat")
	}
	if m, ok := s.Message(u.ID, 1); !ok || m.Text != "chào" || m.FromBot {
		t.Fatalf("Message = %+v, %v", m, ok)
	}
	if _, ok := s.Message(u.ID, 2); ok {
		t.Fatal("Message(2) found a message")
	}

	s.Mount(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	if resp, err := http.Get(s.URL() + "/anything"); err != nil || resp.StatusCode != http.StatusTeapot {
		t.Fatalf("mounted handler: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if status, r := callJSON(t, s, "getMe", nil); status != http.StatusOK || !r.OK {
		t.Fatalf("getMe beside the mounted handler: %d %s", status, r.Description)
	}

	s.Close()
	select {
	case <-s.Done():
	default:
		t.Fatal("Done is open after Close")
	}
	select {
	case <-s.Changed():
	default:
		t.Fatal("Changed is open after Close")
	}
}
