package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/lib/pq"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/clock"
)

// vietnameseLetters are letters only Vietnamese text has; English has none.
const vietnameseLetters = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"

func TestStartAnswersInVietnamese(t *testing.T) {
	r := newRig(t)
	r.run()
	u := r.api.NewUser("Lan", "vi")
	r.api.SendText(u, "/start")
	msgs := r.waitBot(u.ID, 1)
	if !strings.ContainsAny(strings.ToLower(msgs[0].Text), vietnameseLetters) {
		t.Fatalf("first answer is not Vietnamese: %q", msgs[0].Text)
	}
	if msgs[0].ParseMode != "HTML" {
		t.Errorf("parse mode %q, want HTML", msgs[0].ParseMode)
	}
	p, err := r.db.PersonByExternal(r.ctx, "telegram", strconv.FormatInt(u.ID, 10))
	if err != nil {
		t.Fatalf("person row: %v", err)
	}
	if p.Language != "vi" || !p.Reachable {
		t.Fatalf("person %+v", p)
	}
	// An English phone gets English.
	e := r.api.NewUser("John", "en-GB")
	r.api.SendText(e, "/help")
	em := r.waitBot(e.ID, 1)
	if want := r.cat.T("en", "help_text", nil); !strings.Contains(want, "Commands") || em[0].Text == "" ||
		strings.ContainsAny(strings.ToLower(em[0].Text), "ạảấầậắằặẹẻếềệịọỏốồộớờợụủứừự") {
		t.Fatalf("English /help answer: %q", em[0].Text)
	}
	// The command menu was registered in both languages.
	if len(r.api.Commands("default", "")) == 0 || len(r.api.Commands("default", "en")) == 0 {
		t.Fatal("setMyCommands not called for both languages")
	}
}

// 50 quick updates of one chat are handled in order while 50 other chats
// are handled beside them.
func TestUpdatesOfOneChatInOrder(t *testing.T) {
	// Fast limits: the 50 replies to one chat would otherwise take 50 s to
	// leave at Telegram's pace (handling does not wait for them).
	r := newRig(t, withFastLimits())
	one := r.api.NewUser("Một", "vi")
	var ids []int64
	for i := range 50 {
		ids = append(ids, r.api.SendText(one, "tin "+strconv.Itoa(i)))
		other := r.api.NewUser("Khác "+strconv.Itoa(i), "vi")
		r.api.SendText(other, "/start")
	}
	r.run()
	r.waitSeen(ids...)
	var times []time.Time
	if err := r.x.Select(&times, `SELECT handled_at FROM inbox WHERE channel = 'telegram' AND event_id::bigint = ANY($1) AND handled_at IS NOT NULL ORDER BY event_id::bigint`, int64s(ids)); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(times); i++ {
		if !times[i].After(times[i-1]) {
			t.Fatalf("update %d handled before or with update %d", ids[i], ids[i-1])
		}
	}
	var people int
	if err := r.x.Get(&people, `SELECT count(*) FROM people`); err != nil || people != 51 {
		t.Fatalf("people = %d (%v), want 51", people, err)
	}
}

// A webhook delivery of an update already handled is answered 200 and
// changes nothing; a call without the right secret is refused.
func TestWebhookSecretAndRedelivery(t *testing.T) {
	r := newRig(t, withWebhook("right-secret"))
	h := r.bot.WebhookHandler()
	u := r.api.NewUser("Hoa", "vi")
	upd := models.Update{ID: 9001, Message: &models.Message{
		ID: 1, Date: int(clock.System().Unix()), Text: "/start",
		Chat: models.Chat{ID: u.ID, Type: models.ChatTypePrivate},
		From: &models.User{ID: u.ID, FirstName: u.FirstName, LanguageCode: "vi"},
	}}
	body, _ := json.Marshal(upd)
	post := func(secret string) int {
		req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", bytes.NewReader(body))
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	for _, secret := range []string{"", "wrong-secret", "right-secre", "right-secret-"} {
		if code := post(secret); code != http.StatusUnauthorized {
			t.Fatalf("secret %q: status %d, want 401", secret, code)
		}
	}
	var n int
	if err := r.x.Get(&n, `SELECT (SELECT count(*) FROM people) + (SELECT count(*) FROM inbox)`); err != nil || n != 0 {
		t.Fatalf("a refused webhook call changed the database: %d rows (%v)", n, err)
	}
	if code := post("right-secret"); code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	r.waitBot(u.ID, 1)
	// /start has several replies; let them all arrive before counting.
	time.Sleep(300 * time.Millisecond)
	first := len(r.botMessages(u.ID))
	if code := post("right-secret"); code != http.StatusOK {
		t.Fatalf("redelivery: status %d, want 200", code)
	}
	time.Sleep(100 * time.Millisecond) // give a wrong second reply time to show
	if got := len(r.botMessages(u.ID)); got != first {
		t.Fatalf("redelivered update answered again: %d messages, want %d", got, first)
	}
	// A body that is not an update is refused without a crash.
	req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader("{not json"))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "right-secret")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusBadRequest {
		t.Fatalf("bad body: status %d, want 400", w.Code)
	}
}

func sendVia(r *rig, chat int64, text string) error {
	return r.bot.Sender().Do(r.ctx, telegram.Target{ChatID: chat}, "sendMessage", func(ctx context.Context) error {
		_, err := r.bot.API().SendMessage(ctx, &tg.SendMessageParams{ChatID: chat, Text: text})
		return err
	})
}

func TestSender(t *testing.T) {
	t.Run("429 waits retry_after then delivers once", func(t *testing.T) {
		r := newRig(t)
		u := r.api.NewUser("A", "vi")
		r.api.FailNext("sendMessage", 1, 429, "Too Many Requests: retry after 2", 2)
		if err := sendVia(r, u.ID, "xin chào"); err != nil {
			t.Fatal(err)
		}
		var calls []time.Time
		for _, c := range r.api.CallLog() {
			if c.Method == "sendMessage" {
				calls = append(calls, c.At)
			}
		}
		if len(calls) != 2 {
			t.Fatalf("%d sendMessage calls, want 2", len(calls))
		}
		if gap := calls[1].Sub(calls[0]); gap < 2*time.Second {
			t.Fatalf("retried after %v, sooner than retry_after=2s", gap)
		}
		if got := len(r.botMessages(u.ID)); got != 1 {
			t.Fatalf("delivered %d times, want 1", got)
		}
		if r.api.EarlyRetries() != 0 {
			t.Fatal("the server saw an early retry")
		}
	})
	t.Run("403 marks the person unreachable and stops sending", func(t *testing.T) {
		r := newRig(t)
		r.run()
		u := r.api.NewUser("B", "vi")
		r.api.SendText(u, "/start")
		r.waitBot(u.ID, 1)
		r.api.Block(u)
		if err := sendVia(r, u.ID, "tin mới"); !errors.Is(err, channel.ErrUnreachable) {
			t.Fatalf("err = %v, want channel.ErrUnreachable", err)
		}
		p, err := r.db.PersonByExternal(r.ctx, "telegram", strconv.FormatInt(u.ID, 10))
		if err != nil || p.Reachable {
			t.Fatalf("person still reachable: %+v %v", p, err)
		}
		before := r.api.Calls("sendMessage")
		if err := sendVia(r, u.ID, "tin nữa"); !errors.Is(err, channel.ErrUnreachable) {
			t.Fatalf("err = %v, want channel.ErrUnreachable", err)
		}
		if r.api.Calls("sendMessage") != before {
			t.Fatal("sent to an unreachable person")
		}
	})
	t.Run("two 5xx then OK delivers exactly once", func(t *testing.T) {
		r := newRig(t)
		u := r.api.NewUser("C", "vi")
		r.api.FailNext("sendMessage", 2, 502, "Bad Gateway", 0)
		if err := sendVia(r, u.ID, "chào"); err != nil {
			t.Fatal(err)
		}
		if got := r.api.Calls("sendMessage"); got != 3 {
			t.Fatalf("%d calls, want 3", got)
		}
		if got := len(r.botMessages(u.ID)); got != 1 {
			t.Fatalf("delivered %d times, want 1", got)
		}
	})
	t.Run("other 4xx fails with the reason", func(t *testing.T) {
		r := newRig(t)
		err := sendVia(r, 424242, "to nobody")
		var pe *channel.PermanentError
		if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "chat not found") {
			t.Fatalf("err = %v, want a channel.PermanentError naming the reason", err)
		}
		if got := r.api.Calls("sendMessage"); got != 1 {
			t.Fatalf("%d calls, want 1 (no retry)", got)
		}
	})
}

func int64s(v []int64) any { return pq.Array(v) }

// A text holding a NUL (which PostgreSQL's jsonb refuses) neither blocks
// the intake nor is lost: it is handled, and the next update too.
func TestNulInTextIsHandled(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.run()
	u := r.api.NewUser("Nul", "vi")
	first := r.api.SendText(u, "xin\x00chao")
	second := r.api.SendText(u, "/start")
	r.waitSeen(first, second)
}
