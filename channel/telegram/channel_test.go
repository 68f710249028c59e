package telegram_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/botapitest"
	"reentrybot/channel"
	"reentrybot/channel/telegram"
)

// reach is what the sender reads and records about chats, kept in memory:
// these tests are about the Bot API calls, not the store.
type reach struct {
	mu          sync.Mutex
	lookups     int
	unreachable map[string]string
}

func (r *reach) Reachable(_ context.Context, _, chat string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups++
	_, gone := r.unreachable[chat]
	return !gone, nil
}

func (r *reach) MarkUnreachable(_ context.Context, _, chat, why string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unreachable[chat] = why
	return nil
}

func newChannel(t *testing.T) (*botapitest.Server, *telegram.Channel, *reach) {
	t.Helper()
	srv := botapitest.NewTest(t)
	api, err := tg.New(srv.Token(), tg.WithServerURL(srv.URL()), tg.WithSkipGetMe(),
		tg.WithDefaultHandler(func(context.Context, *tg.Bot, *models.Update) {}))
	if err != nil {
		t.Fatal(err)
	}
	r := &reach{unreachable: map[string]string{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := telegram.DefaultLimits(1000)
	l.PerChatSecond, l.PerChatBurst, l.BaseBackoff = 1000, 100, time.Millisecond
	return srv, telegram.NewChannel(api, telegram.NewSender(l, r, nil, nil, log), nil, log), r
}

func addr(u botapitest.User) channel.Address {
	return channel.Address{Channel: telegram.Name, Ref: strconv.FormatInt(u.ID, 10)}
}

func TestChannelSend(t *testing.T) {
	buttons := [][]channel.Button{{{Label: "Có", Data: channel.ButtonData(3, "yes")}, {Label: "Không", Data: channel.ButtonData(3, "no")}}}
	tests := []struct {
		name string
		msg  channel.Message
		// what the chat shows: one entry per message, text and keyboard
		want []string
	}{
		{"text in HTML", channel.Message{Text: "<b>Chào</b> An"}, []string{"Chào An|"}},
		{"buttons", channel.Message{Text: "Bạn có cần việc?", Buttons: buttons}, []string{"Bạn có cần việc?|inline:Có,Không"}},
		{"share-phone keyboard", channel.Message{Text: "Số điện thoại?", AskContact: true, ContactLabel: "📱 Gửi số", ContactHint: "Bấm nút"},
			[]string{"Số điện thoại?|contact:📱 Gửi số"}},
		{"buttons and the share-phone keyboard: two messages", channel.Message{Text: "Số điện thoại?", Buttons: buttons, AskContact: true, ContactLabel: "📱 Gửi số", ContactHint: "Bấm nút"},
			[]string{"Số điện thoại?|inline:Có,Không", "Bấm nút|contact:📱 Gửi số"}},
		{"keyboard taken away", channel.Message{Text: "Cảm ơn", ClearContact: true}, []string{"Cảm ơn|remove"}},
		{"buttons keep theirs", channel.Message{Text: "Tiếp?", ClearContact: true, Buttons: buttons}, []string{"Tiếp?|inline:Có,Không"}},
		{"a file with its caption", channel.Message{Text: "Dữ liệu của bạn", File: &channel.File{Name: "d.json", MIME: "application/json", Data: []byte(`{}`)}},
			[]string{"file d.json: Dữ liệu của bạn|"}},
		{"a caption over 1024 goes after the file", channel.Message{Text: strings.Repeat("a", 1500), File: &channel.File{Name: "d.json", MIME: "application/json", Data: []byte(`{}`)}},
			[]string{"file d.json: |", strings.Repeat("a", 1500) + "|"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ch, _ := newChannel(t)
			u := srv.NewUser("An", "vi")
			srv.SendText(u, "/start")
			if err := ch.Send(context.Background(), addr(u), tt.msg); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range srv.Messages(u.ID) {
				if !m.FromBot {
					continue
				}
				got = append(got, shown(m))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("chat shows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// shown is a message as the tests compare it: text, then its keyboard.
func shown(m botapitest.Message) string {
	text := m.Text
	if m.FileName != "" {
		text = "file " + m.FileName + ": " + m.Caption
	}
	var kb string
	switch {
	case m.Markup != nil:
		var labels []string
		for _, row := range m.Markup.InlineKeyboard {
			for _, b := range row {
				labels = append(labels, b.Text)
			}
		}
		kb = "inline:" + strings.Join(labels, ",")
	case m.ReplyKeyboard != nil:
		kb = "contact:" + m.ReplyKeyboard.Keyboard[0][0].Text
	case m.RemoveKeyboard:
		kb = "remove"
	}
	return text + "|" + kb
}

func TestChannelSendOutcomes(t *testing.T) {
	srv, ch, r := newChannel(t)
	ctx := context.Background()
	u := srv.NewUser("Bình", "vi")
	srv.SendText(u, "/start")

	// An answer to what the person just wrote skips the lookup; a
	// counsellor's answer, later, asks first.
	if err := ch.Send(ctx, addr(u), channel.Message{Text: "reply"}); err != nil {
		t.Fatal(err)
	}
	if r.lookups != 0 {
		t.Errorf("a reply looked reachability up %d times", r.lookups)
	}
	if err := ch.Send(ctx, addr(u), channel.Message{Text: "later", Purpose: channel.PurposeCounsellor}); err != nil {
		t.Fatal(err)
	}
	if r.lookups != 1 {
		t.Errorf("a counsellor's answer looked reachability up %d times, want 1", r.lookups)
	}

	srv.Block(u)
	err := ch.Send(ctx, addr(u), channel.Message{Text: "after the block"})
	if !errors.Is(err, channel.ErrUnreachable) {
		t.Fatalf("send to a chat that blocked the bot: %v, want channel.ErrUnreachable", err)
	}
	if _, ok := r.unreachable[addr(u).Ref]; !ok {
		t.Error("blocked chat not recorded unreachable")
	}

	for _, to := range []channel.Address{{Channel: telegram.Name, Ref: "not-a-chat"}, {Channel: "zalo", Ref: "123"}} {
		var perm *channel.PermanentError
		if err := ch.Send(ctx, to, channel.Message{Text: "x"}); !errors.As(err, &perm) {
			t.Errorf("send to %s: %v, want a PermanentError", to, err)
		}
	}
}
