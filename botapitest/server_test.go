package botapitest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestGetMeAndAuth(t *testing.T) {
	s := newServer(t, WithBotUser(42, "my_bot"))
	b, err := bot.New(s.Token(), bot.WithServerURL(s.URL())) // calls getMe
	if err != nil {
		t.Fatal(err)
	}
	me, err := b.GetMe(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != 42 || me.Username != "my_bot" || !me.IsBot {
		t.Fatalf("getMe = %+v", me)
	}

	_, err = bot.New("1:WRONG", bot.WithServerURL(s.URL()))
	if !errors.Is(err, bot.ErrorUnauthorized) {
		t.Fatalf("wrong token: %v", err)
	}

	status, r := callJSON(t, s, "noSuchMethod", nil)
	if status != 404 || r.ErrorCode != 404 || r.Description != "Not Found" {
		t.Fatalf("unknown method: %d %+v", status, r)
	}
	if v := s.TakeViolations(); len(v) != 1 || v[0].Method != "noSuchMethod" {
		t.Fatalf("violations = %v, want the unknown method", v)
	}
	if got := s.Calls("getMe"); got != 3 {
		t.Fatalf("Calls(getMe) = %d, want 3 (rejected included)", got)
	}
}

func TestSendMessage(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	u := s.NewUser("Lan", "vi")
	ctx := ctxT(t)

	kb := InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: "Có", CallbackData: "yes"}, {Text: "Docs", URL: "https://example.com"},
	}}})
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "Xin chào", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Chat.ID != u.ID || msg.Text != "Xin chào" || msg.From == nil || !msg.From.IsBot {
		t.Fatalf("result = %+v", msg)
	}
	if msg.ReplyMarkup == nil || msg.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "yes" {
		t.Fatalf("result markup = %+v", msg.ReplyMarkup)
	}
	_, err = b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "pick", ReplyMarkup: &models.ReplyKeyboardMarkup{
		Keyboard: [][]models.KeyboardButton{{{Text: "Share phone", RequestContact: true}}}, ResizeKeyboard: true,
	}})
	if err != nil {
		t.Fatal(err)
	}

	got := s.Messages(u.ID)
	if len(got) != 2 {
		t.Fatalf("Messages = %+v", got)
	}
	if got[0].ID != msg.ID || got[0].Kind != "text" || got[0].Markup == nil || got[0].Markup.InlineKeyboard[0][1].URL != "https://example.com" {
		t.Fatalf("stored = %+v", got[0])
	}
	if got[1].ReplyKeyboard == nil || !got[1].ReplyKeyboard.Keyboard[0][0].RequestContact {
		t.Fatalf("reply keyboard = %+v", got[1])
	}

	errCases := []struct {
		name   string
		params *bot.SendMessageParams
		want   string
	}{
		{"unknown chat", &bot.SendMessageParams{ChatID: 999, Text: "x"}, "Bad Request: chat not found"},
		{"username chat", &bot.SendMessageParams{ChatID: "@nobody", Text: "x"}, "Bad Request: chat not found"},
		{"empty text", &bot.SendMessageParams{ChatID: u.ID, Text: ""}, "Bad Request: message text is empty"},
		{"blank text", &bot.SendMessageParams{ChatID: u.ID, Text: " \n "}, "Bad Request: message text is empty"},
		{"too long", &bot.SendMessageParams{ChatID: u.ID, Text: strings.Repeat("a", 4097)}, "Bad Request: message is too long"},
		{"bad parse mode", &bot.SendMessageParams{ChatID: u.ID, Text: "x", ParseMode: "BBCode"}, "Bad Request: unsupported parse_mode"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.SendMessage(ctx, tc.params)
			if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if n := len(s.Messages(u.ID)); n != 2 {
		t.Fatalf("rejected sends were stored: %d messages", n)
	}
}

func TestHTMLParseMode(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	u := s.NewUser("Minh", "vi")
	ctx := ctxT(t)

	cases := []struct {
		name     string
		html     string
		wantText string
		wantErr  string
		wantEnts []models.MessageEntityType
	}{
		{name: "valid nested", html: `<b>bold <i>both</i></b> &amp; <a href="https://x.io/?a=1&amp;b=2">link</a>`,
			wantText: "bold both & link", wantEnts: []models.MessageEntityType{"bold", "italic", "text_link"}},
		{name: "all tags", html: `<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del><span class="tg-spoiler">h</span><tg-spoiler>i</tg-spoiler><code>j</code><pre><code class="language-go">k</code></pre><blockquote expandable>l</blockquote><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`,
			wantText: "abcdefghijkl👍"},
		{name: "amp is fine", html: "Tom &amp; Jerry &lt;3 &quot;x&quot;", wantText: `Tom & Jerry <3 "x"`},
		{name: "numeric entities", html: "&#128512; &#x41;", wantText: "😀 A"},
		{name: "bare > tolerated", html: "2 > 1", wantText: "2 > 1"},
		{name: "case-insensitive tags", html: "<B>x</B>", wantText: "x"},
		{name: "unclosed tag", html: "<b>bold", wantErr: `can't parse entities: Can't find end tag corresponding to start tag "b"`},
		{name: "misnested", html: "<b><i>x</b></i>", wantErr: `Unmatched end tag at byte offset 7, expected "</i>", found "</b>"`},
		{name: "bare <", html: "1 < 2", wantErr: `can't parse entities: Unsupported start tag "" at byte offset 2`},
		{name: "unknown tag", html: "<div>x</div>", wantErr: `Unsupported start tag "div"`},
		{name: "stray end tag", html: "x</b>", wantErr: "Unexpected end tag at byte offset 1"},
		{name: "bare ampersand", html: "AT&T", wantErr: "can't parse entities"},
		{name: "unknown named entity", html: "a&nbsp;b", wantErr: "can't parse entities"},
		{name: "span without spoiler class", html: `<span class="x">y</span>`, wantErr: `Tag "span" must have class "tg-spoiler"`},
		{name: "valueless attribute", html: "<b bold>x</b>", wantErr: `Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0`},
		{name: "unquoted href", html: "<a href=https://x.io>x</a>", wantErr: "Expected equal sign"},
		{name: "unclosed start tag", html: "<b", wantErr: "Unclosed start tag at byte offset 0"},
		{name: "only tags is empty", html: "<b> </b>", wantErr: "Bad Request: message text is empty"},
		{name: "4096 with tags passes", html: "<b>" + strings.Repeat("a", 4096) + "</b>", wantText: strings.Repeat("a", 4096)},
		{name: "4096 with entities passes", html: strings.Repeat("&lt;", 4096), wantText: strings.Repeat("<", 4096)},
		{name: "over 4096 after parsing fails", html: "<i>" + strings.Repeat("a", 4097) + "</i>", wantErr: "Bad Request: message is too long"},
		{name: "astral chars count twice", html: strings.Repeat("😀", 2049), wantErr: "Bad Request: message is too long"},
		{name: "2048 emoji fit", html: strings.Repeat("😀", 2048), wantText: strings.Repeat("😀", 2048)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: tc.html, ParseMode: models.ParseModeHTML})
			if tc.wantErr != "" {
				if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if msg.Text != tc.wantText {
				t.Fatalf("text = %q, want %q", msg.Text, tc.wantText)
			}
			all := s.Messages(u.ID)
			last := all[len(all)-1]
			if last.Text != tc.wantText || last.RawText != tc.html || last.ParseMode != "HTML" {
				t.Fatalf("stored = %q raw %q mode %q", last.Text, last.RawText, last.ParseMode)
			}
			if tc.wantEnts != nil {
				var types []models.MessageEntityType
				for _, e := range msg.Entities {
					types = append(types, e.Type)
				}
				if !equalSlices(types, tc.wantEnts) {
					t.Fatalf("entities = %+v", msg.Entities)
				}
			}
		})
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEntityOffsetsAreUTF16(t *testing.T) {
	text, ents, problem := parseHTML("😀 <b>Việt</b>")
	if problem != "" {
		t.Fatal(problem)
	}
	if text != "😀 Việt" || len(ents) != 1 || ents[0].Offset != 3 || ents[0].Length != 4 {
		t.Fatalf("text %q ents %+v", text, ents)
	}
}

func TestInlineKeyboardValidation(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	u := s.NewUser("Hoa", "vi")
	ctx := ctxT(t)

	ee := strings.Repeat("ệ", 21) // 3 bytes each: 63 bytes
	cases := []struct {
		name    string
		button  models.InlineKeyboardButton
		wantErr string
	}{
		{"64 bytes ok", models.InlineKeyboardButton{Text: "ok", CallbackData: ee + "a"}, ""},
		{"65 bytes rejected", models.InlineKeyboardButton{Text: "no", CallbackData: ee + "ab"}, "Bad Request: BUTTON_DATA_INVALID"},
		{"22 letters are 66 bytes", models.InlineKeyboardButton{Text: "no", CallbackData: strings.Repeat("ệ", 22)}, "BUTTON_DATA_INVALID"},
		{"copy_text button", models.InlineKeyboardButton{Text: "copy", CopyText: models.CopyTextButton{Text: "ABC-123"}}, ""},
		{"no action", models.InlineKeyboardButton{Text: "plain"}, "exactly one of url, callback_data"},
		{"empty text", models.InlineKeyboardButton{CallbackData: "x"}, "Bad Request: can't parse inline keyboard button"},
		{"bad url", models.InlineKeyboardButton{Text: "u", URL: "not a url"}, "Wrong HTTP URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "x",
				ReplyMarkup: InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{tc.button}}})})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			s.TakeViolations() // "no action" breaks the specification on purpose
		})
	}
}

func tooMany(t *testing.T, err error) int {
	t.Helper()
	var tm *bot.TooManyRequestsError
	if !errors.As(err, &tm) {
		t.Fatalf("want 429, got %v", err)
	}
	if !strings.Contains(tm.Message, "Too Many Requests: retry after") {
		t.Fatalf("429 message = %q", tm.Message)
	}
	return tm.RetryAfter
}

func TestFloodControl(t *testing.T) {
	t.Run("private chat burst then 1/s", func(t *testing.T) {
		clock := newFakeClock()
		s := newServer(t, WithClock(clock.Now))
		b := newBot(t, s)
		u := s.NewUser("An", "vi")
		ctx := ctxT(t)
		send := func() error {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "hi"})
			return err
		}
		for i := 0; i < 3; i++ {
			if err := send(); err != nil {
				t.Fatalf("burst send %d: %v", i, err)
			}
		}
		if ra := tooMany(t, send()); ra != 1 {
			t.Fatalf("retry_after = %d, want 1", ra)
		}
		if s.EarlyRetries() != 0 {
			t.Fatal("no early retry yet")
		}
		clock.Advance(500 * time.Millisecond)
		tooMany(t, send()) // too early: counted
		if s.EarlyRetries() != 1 {
			t.Fatalf("EarlyRetries = %d, want 1", s.EarlyRetries())
		}
		clock.Advance(time.Second)
		if err := send(); err != nil {
			t.Fatalf("after retry_after: %v", err)
		}
		// edits are not limited
		msgs := s.Messages(u.ID)
		if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: u.ID, MessageID: msgs[0].ID, Text: "edited"}); err != nil {
			t.Fatalf("edit: %v", err)
		}
		if len(msgs) != 4 || s.TooManyRequests() != 2 || s.EarlyRetries() != 1 {
			t.Fatalf("messages %d, 429s %d, early %d", len(msgs), s.TooManyRequests(), s.EarlyRetries())
		}
	})

	t.Run("group per minute", func(t *testing.T) {
		clock := newFakeClock()
		s := newServer(t, WithClock(clock.Now))
		b := newBot(t, s)
		g := s.NewGroup("Team", false)
		ctx := ctxT(t)
		send := func() error {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: g.ID, Text: "news"})
			return err
		}
		for i := 0; i < 20; i++ {
			if err := send(); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
			clock.Advance(time.Second)
		}
		// first send was 20 s ago; it leaves the window in 40 s
		if ra := tooMany(t, send()); ra != 40 {
			t.Fatalf("retry_after = %d, want 40", ra)
		}
		clock.Advance(40 * time.Second)
		if err := send(); err != nil {
			t.Fatalf("after window: %v", err)
		}
		if s.EarlyRetries() != 0 {
			t.Fatalf("EarlyRetries = %d", s.EarlyRetries())
		}
	})

	t.Run("overall per second", func(t *testing.T) {
		clock := newFakeClock()
		s := newServer(t, WithClock(clock.Now), WithLimits(Limits{Overall: 5}))
		b := newBot(t, s)
		ctx := ctxT(t)
		for i := 0; i < 5; i++ {
			u := s.NewUser("U", "en")
			if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "x"}); err != nil {
				t.Fatal(err)
			}
		}
		u := s.NewUser("V", "en")
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "x"})
		if ra := tooMany(t, err); ra != 1 {
			t.Fatalf("retry_after = %d", ra)
		}
	})
}

func TestFailNext(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	u := s.NewUser("Bao", "vi")
	ctx := ctxT(t)
	send := func() error {
		_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "x"})
		return err
	}

	s.FailNext("sendMessage", 1, 500, "Internal Server Error", 0)
	if err := send(); err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
		t.Fatalf("want 500, got %v", err)
	}
	if err := send(); err != nil {
		t.Fatalf("second send: %v", err)
	}
	s.FailNext("", 1, 429, "Too Many Requests: retry after 3", 3)
	if ra := tooMany(t, send()); ra != 3 {
		t.Fatalf("retry_after = %d", ra)
	}
	// The fault was one-shot, but resending at once ignores retry_after.
	if err := send(); err != nil {
		t.Fatal(err)
	}
	if s.EarlyRetries() != 1 || s.TooManyRequests() != 1 {
		t.Fatalf("early %d, 429s %d", s.EarlyRetries(), s.TooManyRequests())
	}
	var statuses []int
	for _, c := range s.CallLog() {
		if c.Method == "sendMessage" {
			statuses = append(statuses, c.Status)
		}
	}
	if !equalSlices(statuses, []int{500, 200, 429, 200}) {
		t.Fatalf("statuses = %v", statuses)
	}
	if n := len(s.Messages(u.ID)); n != 2 {
		t.Fatalf("messages = %d, want 2", n)
	}
}
