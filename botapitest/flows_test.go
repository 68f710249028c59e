package botapitest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestBlock(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	u := s.NewUser("Cuong", "vi")
	ctx := ctxT(t)

	s.Block(u)
	_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "hello?"})
	if !errors.Is(err, bot.ErrorForbidden) {
		t.Fatalf("err = %v, want ErrorForbidden", err)
	}
	log := s.CallLog()
	last := log[len(log)-1]
	if last.Status != 403 || last.Description != "Forbidden: bot was blocked by the user" || last.ChatID != u.ID {
		t.Fatalf("call = %+v", last)
	}
	if _, err := b.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: u.ID, Action: models.ChatActionTyping}); !errors.Is(err, bot.ErrorForbidden) {
		t.Fatalf("chat action: %v", err)
	}

	s.Unblock(u)
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "welcome back"}); err != nil {
		t.Fatal(err)
	}
	ups := getUpdates(t, s, nil)
	if len(ups) != 2 || ups[0].MyChatMember == nil || ups[0].MyChatMember.NewChatMember.Status != "kicked" ||
		ups[1].MyChatMember.NewChatMember.Status != "member" {
		t.Fatalf("updates = %+v", ups)
	}
}

func TestForumTopics(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	ctx := ctxT(t)
	forum := s.NewGroup("Support", true)
	plain := s.NewGroup("Chat", false)
	if forum.ID > -1000000000000 || forum.Type != "supergroup" {
		t.Fatalf("group = %+v", forum)
	}

	topic, err := b.CreateForumTopic(ctx, &bot.CreateForumTopicParams{ChatID: forum.ID, Name: "Ticket #1"})
	if err != nil {
		t.Fatal(err)
	}
	if topic.MessageThreadID == 0 || topic.Name != "Ticket #1" || topic.IconColor == 0 {
		t.Fatalf("topic = %+v", topic)
	}
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: forum.ID, MessageThreadID: topic.MessageThreadID, Text: "in topic"})
	if err != nil {
		t.Fatal(err)
	}
	if msg.MessageThreadID != topic.MessageThreadID || !msg.IsTopicMessage {
		t.Fatalf("msg = %+v", msg)
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: forum.ID, Text: "general"}); err != nil {
		t.Fatal(err)
	}
	if got := s.TopicMessages(forum.ID, topic.MessageThreadID); len(got) != 1 || got[0].Text != "in topic" {
		t.Fatalf("TopicMessages = %+v", got)
	}
	if _, err := b.EditForumTopic(ctx, &bot.EditForumTopicParams{ChatID: forum.ID, MessageThreadID: topic.MessageThreadID, Name: "Ticket #1 (vip)"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CloseForumTopic(ctx, &bot.CloseForumTopicParams{ChatID: forum.ID, MessageThreadID: topic.MessageThreadID}); err != nil {
		t.Fatal(err)
	}
	if got := s.Topics(forum.ID); len(got) != 1 || got[0].Name != "Ticket #1 (vip)" || !got[0].Closed {
		t.Fatalf("Topics = %+v", got)
	}

	errCases := []struct {
		name string
		call func() error
		want string
	}{
		{"not a forum", func() error {
			_, err := b.CreateForumTopic(ctx, &bot.CreateForumTopicParams{ChatID: plain.ID, Name: "x"})
			return err
		}, "Bad Request: the chat is not a forum"},
		{"unknown thread", func() error {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: forum.ID, MessageThreadID: 9999, Text: "x"})
			return err
		}, "Bad Request: message thread not found"},
		{"closed topic", func() error {
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: forum.ID, MessageThreadID: topic.MessageThreadID, Text: "x"})
			return err
		}, "TOPIC_CLOSED"},
		{"close twice", func() error {
			_, err := b.CloseForumTopic(ctx, &bot.CloseForumTopicParams{ChatID: forum.ID, MessageThreadID: topic.MessageThreadID})
			return err
		}, "TOPIC_NOT_MODIFIED"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}

	if _, err := b.ReopenForumTopic(ctx, &bot.ReopenForumTopicParams{ChatID: forum.ID, MessageThreadID: topic.MessageThreadID}); err != nil {
		t.Fatal(err)
	}
	u := s.NewUser("Dung", "vi")
	s.SendTextIn(forum.ID, topic.MessageThreadID, u, "help please")
	ups := getUpdates(t, s, nil)
	if len(ups) != 1 || ups[0].Message.ThreadID != topic.MessageThreadID || !ups[0].Message.IsTopic {
		t.Fatalf("updates = %+v", ups)
	}
}

func TestGetUpdates(t *testing.T) {
	s := newServer(t)
	u := s.NewUser("Giang", "vi")
	id1 := s.SendText(u, "/start@reentry_test_bot ref42")
	id2 := s.SendText(u, "hello")

	ups := getUpdates(t, s, map[string]any{})
	if len(ups) != 2 || ups[0].UpdateID != id1 || ups[1].UpdateID != id2 || id2 <= id1 {
		t.Fatalf("updates = %+v", ups)
	}
	ent := ups[0].Message.Entities
	if len(ent) != 1 || ent[0].Type != "bot_command" || ent[0].Offset != 0 || ent[0].Length != len("/start@reentry_test_bot") {
		t.Fatalf("entities = %+v", ent)
	}
	if len(ups[1].Message.Entities) != 0 {
		t.Fatal("plain text got entities")
	}
	// unconfirmed updates are returned again; limit applies
	if got := getUpdates(t, s, map[string]any{"limit": 1}); len(got) != 1 || got[0].UpdateID != id1 {
		t.Fatalf("limit 1 = %+v", got)
	}
	// offset confirms everything below it; form encoding works too
	status, r := callForm(t, s, "getUpdates", url.Values{"offset": {itoa64(id2)}})
	if status != 200 || !strings.Contains(string(r.Result), `"update_id":`+itoa64(id2)) || strings.Contains(string(r.Result), itoa64(id1)) {
		t.Fatalf("offset: %d %s", status, r.Result)
	}
	if got := getUpdates(t, s, map[string]any{"offset": id2 + 1}); len(got) != 0 {
		t.Fatalf("after confirm = %+v", got)
	}

	// a long poll wakes up as soon as an update arrives
	done := make(chan []rawUpdate, 1)
	start := time.Now()
	go func() { done <- getUpdates(t, s, map[string]any{"offset": id2 + 1, "timeout": 10}) }()
	time.Sleep(50 * time.Millisecond)
	id3 := s.SendText(u, "wake up")
	select {
	case got := <-done:
		if len(got) != 1 || got[0].UpdateID != id3 || time.Since(start) > 3*time.Second {
			t.Fatalf("long poll = %+v after %v", got, time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not wake up")
	}
	// a long poll with nothing to return times out with []
	status, r = callJSON(t, s, "getUpdates", map[string]any{"offset": id3 + 1, "timeout": 1})
	if status != 200 || string(r.Result) != "[]" {
		t.Fatalf("empty poll: %d %s", status, r.Result)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

func TestWebhook(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	ctx := ctxT(t)

	var (
		mu      sync.Mutex
		calls   int
		secrets []string
		bodies  []string
	)
	delivered := make(chan struct{}, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls++
		n := calls
		secrets = append(secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		bodies = append(bodies, string(body))
		mu.Unlock()
		if n == 1 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		delivered <- struct{}{}
	}))
	defer recv.Close()

	u := s.NewUser("Hanh", "vi")
	pending := s.SendText(u, "sent before the webhook")
	if _, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: recv.URL + "/hook", SecretToken: "s3cr3t_token"}); err != nil {
		t.Fatal(err)
	}
	fresh := s.SendText(u, "sent after")
	for i := 0; i < 2; i++ {
		select {
		case <-delivered:
		case <-time.After(5 * time.Second):
			t.Fatalf("webhook delivery %d did not happen: %+v", i, s.WebhookDeliveries())
		}
	}
	waitFor(t, func() bool {
		info, err := b.GetWebhookInfo(ctx)
		return err == nil && info.PendingUpdateCount == 0
	})

	var got []int64
	var statuses []int
	for _, d := range s.WebhookDeliveries() {
		got, statuses = append(got, d.UpdateID), append(statuses, d.Status)
	}
	if !equalSlices(got, []int64{pending, pending, fresh}) || !equalSlices(statuses, []int{500, 200, 200}) {
		t.Fatalf("deliveries %v %v", got, statuses)
	}
	mu.Lock()
	for _, sec := range secrets {
		if sec != "s3cr3t_token" {
			t.Errorf("secret header = %q", sec)
		}
	}
	if !strings.Contains(bodies[1], "sent before the webhook") || !strings.Contains(bodies[2], "sent after") {
		t.Errorf("bodies = %q", bodies)
	}
	mu.Unlock()
	info, err := b.GetWebhookInfo(ctx)
	if err != nil || info.URL != recv.URL+"/hook" || !strings.Contains(info.LastErrorMessage, "500") {
		t.Fatalf("info = %+v, %v", info, err)
	}

	// getUpdates conflicts while the webhook is set
	status, r := callJSON(t, s, "getUpdates", nil)
	if status != 409 || !strings.HasPrefix(r.Description, "Conflict: can't use getUpdates method while webhook is active") {
		t.Fatalf("getUpdates with webhook: %d %+v", status, r)
	}
	if _, err := b.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		t.Fatal(err)
	}
	id := s.SendText(u, "polling again")
	if ups := getUpdates(t, s, nil); len(ups) != 1 || ups[0].UpdateID != id {
		t.Fatalf("after deleteWebhook = %+v", ups)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBotEndToEnd runs a real go-telegram bot in polling mode.
func TestBotEndToEnd(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s,
		bot.WithMessageTextHandler("/start", bot.MatchTypePrefix, func(ctx context.Context, b *bot.Bot, upd *models.Update) {
			_, _ = b.SendMessage(ctx, &bot.SendMessageParams{
				ChatID: upd.Message.Chat.ID, Text: "<b>Chào</b> " + upd.Message.From.FirstName, ParseMode: models.ParseModeHTML,
				ReplyMarkup: InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Đồng ý", CallbackData: "agree"}}}}),
			})
		}),
		bot.WithCallbackQueryDataHandler("agree", bot.MatchTypeExact, func(ctx context.Context, b *bot.Bot, upd *models.Update) {
			cq := upd.CallbackQuery
			_, _ = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: cq.ID, Text: "OK!"})
			_, _ = b.EditMessageText(ctx, &bot.EditMessageTextParams{
				ChatID: cq.Message.Message.Chat.ID, MessageID: cq.Message.Message.ID, Text: "Cảm ơn",
			})
		}),
	)
	events, unsubscribe := s.Subscribe()
	defer unsubscribe()

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { b.Start(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	u := s.NewUser("Khoa", "vi")
	s.SendText(u, "/start")
	wctx := ctxT(t)
	msgs, err := s.WaitMessages(wctx, u.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Text != "Chào Khoa" || msgs[0].RawText != "<b>Chào</b> Khoa" {
		t.Fatalf("reply = %+v", msgs[0])
	}
	if _, err := s.PressButton(u, msgs[0], "nope"); err == nil {
		t.Fatal("pressing a missing button must fail")
	}
	if _, err := s.PressButton(u, msgs[0], "agree"); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case ev := <-events:
			if ev.Type != "edited" {
				continue
			}
			if ev.Message.Text != "Cảm ơn" || ev.Message.Edited != 1 || ev.Message.Markup != nil {
				t.Fatalf("edited = %+v", ev.Message)
			}
			if a := s.CallbackAnswers(); len(a) != 1 || a[0].Text != "OK!" {
				t.Fatalf("answers = %+v", a)
			}
			// the keyboard is gone, so the button cannot be pressed again
			if _, err := s.PressButton(u, msgs[0], "agree"); err == nil {
				t.Fatal("button still pressable after edit")
			}
			return
		case <-wctx.Done():
			t.Fatalf("no edit event; messages %+v", s.Messages(u.ID))
		}
	}
}

func TestWaitMessagesTimeout(t *testing.T) {
	s := newServer(t)
	u := s.NewUser("Lam", "vi")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := s.WaitMessages(ctx, u.ID, 1)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "has 0 bot messages, want 1") {
		t.Fatalf("err = %v", err)
	}
}

func TestCloseEndsLongPoll(t *testing.T) {
	s := New()
	done := make(chan error, 1)
	go func() {
		resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/getUpdates", "application/json", strings.NewReader(`{"timeout":30}`))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	s.Close()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("long poll still running after Close")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
}

func TestMediaCopyForward(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	ctx := ctxT(t)
	u := s.NewUser("My", "vi")
	admins := s.NewGroup("Admins", false)

	photo, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: u.ID, Caption: "<i>cat</i>", ParseMode: models.ParseModeHTML,
		Photo: &models.InputFileUpload{Filename: "cat.jpg", Data: bytes.NewReader(make([]byte, 1234))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(photo.Photo) != 3 || photo.Caption != "cat" {
		t.Fatalf("photo = %+v", photo)
	}
	if _, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: u.ID, Document: &models.InputFileString{Data: "https://example.com/files/report.pdf"}}); err != nil {
		t.Fatal(err)
	}
	// resend by file_id
	if _, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: u.ID, Photo: &models.InputFileString{Data: photo.Photo[2].FileID}}); err != nil {
		t.Fatal(err)
	}
	got := s.Messages(u.ID)
	if got[0].Kind != "photo" || got[0].FileName != "cat.jpg" || got[0].FileSize != 1234 || got[0].Caption != "cat" {
		t.Fatalf("photo stored = %+v", got[0])
	}
	if got[1].Kind != "document" || got[1].FileName != "report.pdf" || got[1].MimeType != "application/pdf" {
		t.Fatalf("document stored = %+v", got[1])
	}

	errCases := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown file id", func() error {
			_, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: u.ID, Photo: &models.InputFileString{Data: "nope"}})
			return err
		}, "wrong file identifier/HTTP URL specified"},
		{"caption too long", func() error {
			_, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: u.ID, Photo: &models.InputFileString{Data: photo.Photo[2].FileID}, Caption: strings.Repeat("x", 1025)})
			return err
		}, "Bad Request: message caption is too long"},
		{"copy missing", func() error {
			_, err := b.CopyMessage(ctx, &bot.CopyMessageParams{ChatID: admins.ID, FromChatID: u.ID, MessageID: 999})
			return err
		}, "Bad Request: message to copy not found"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}

	s.SendPhoto(u, "my receipt")
	s.SendDocument(u, "invoice.pdf")
	s.ShareContact(u, "+84901234567")
	s.SendLocation(u, 10.77, 106.7)
	s.SendVoice(u)
	s.SendSticker(u)
	hist := s.History(u.ID)
	userPhoto := hist[3]
	if userPhoto.FromBot || userPhoto.Kind != "photo" {
		t.Fatalf("history = %+v", hist)
	}
	cp, err := b.CopyMessage(ctx, &bot.CopyMessageParams{ChatID: admins.ID, FromChatID: u.ID, MessageID: userPhoto.ID, Caption: "from My"})
	if err != nil {
		t.Fatal(err)
	}
	fw, err := b.ForwardMessage(ctx, &bot.ForwardMessageParams{ChatID: admins.ID, FromChatID: u.ID, MessageID: hist[4].ID})
	if err != nil {
		t.Fatal(err)
	}
	if fw.Document == nil || fw.Document.FileName != "invoice.pdf" || fw.ForwardOrigin == nil || fw.ForwardOrigin.MessageOriginUser.SenderUser.ID != u.ID {
		t.Fatalf("forward = %+v", fw)
	}
	am := s.Messages(admins.ID)
	if len(am) != 2 || am[0].ID != cp.ID || am[0].Kind != "copy" || am[0].SourceKind != "photo" || am[0].Caption != "from My" || am[1].Kind != "forward" {
		t.Fatalf("admin chat = %+v", am)
	}

	ups := getUpdates(t, s, nil)
	if len(ups) != 6 {
		t.Fatalf("got %d updates", len(ups))
	}
}

func TestEditsAndDeletes(t *testing.T) {
	s := newServer(t, unlimited)
	b := newBot(t, s)
	ctx := ctxT(t)
	u := s.NewUser("Nga", "vi")
	kb := InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "1", CallbackData: "one"}}}})
	msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "step 1", ReplyMarkup: kb})
	if err != nil {
		t.Fatal(err)
	}

	_, err = b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: u.ID, MessageID: msg.ID, Text: "step 1", ReplyMarkup: kb})
	if err == nil || !strings.Contains(err.Error(), "message is not modified") {
		t.Fatalf("same content: %v", err)
	}
	if _, err := b.EditMessageReplyMarkup(ctx, &bot.EditMessageReplyMarkupParams{ChatID: u.ID, MessageID: msg.ID,
		ReplyMarkup: InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "2", CallbackData: "two"}}}})}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PressButton(u, s.Messages(u.ID)[0], "one"); err == nil {
		t.Fatal("old button still pressable")
	}
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: u.ID, MessageID: msg.ID, Text: "step 2"}); err != nil {
		t.Fatal(err)
	}
	m := s.Messages(u.ID)[0]
	if m.Text != "step 2" || m.Edited != 2 || m.Markup != nil || m.EditDate.IsZero() {
		t.Fatalf("after edits = %+v", m)
	}
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: u.ID, MessageID: 999, Text: "x"}); err == nil || !strings.Contains(err.Error(), "message to edit not found") {
		t.Fatalf("edit missing: %v", err)
	}
	if ok, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: u.ID, MessageID: msg.ID}); err != nil || !ok {
		t.Fatal(err)
	}
	if m := s.Messages(u.ID)[0]; !m.Deleted {
		t.Fatal("not marked deleted")
	}
	if _, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: u.ID, MessageID: msg.ID}); err == nil || !strings.Contains(err.Error(), "message to delete not found") {
		t.Fatalf("double delete: %v", err)
	}
}

func TestCommandsAndChat(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	ctx := ctxT(t)
	cmds := []models.BotCommand{{Command: "start", Description: "Bắt đầu"}, {Command: "help", Description: "Trợ giúp"}}
	if _, err := b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: cmds, LanguageCode: "vi"}); err != nil {
		t.Fatal(err)
	}
	got, err := b.GetMyCommands(ctx, &bot.GetMyCommandsParams{LanguageCode: "vi"})
	if err != nil || len(got) != 2 || got[0].Command != "start" {
		t.Fatalf("GetMyCommands = %+v, %v", got, err)
	}
	if c := s.Commands("default", "vi"); len(c) != 2 {
		t.Fatalf("Commands = %+v", c)
	}
	_, err = b.SetMyCommands(ctx, &bot.SetMyCommandsParams{Commands: []models.BotCommand{{Command: "Start", Description: "x"}}})
	if err == nil || !strings.Contains(err.Error(), "BOT_COMMAND_INVALID") {
		t.Fatalf("uppercase command: %v", err)
	}

	g := s.NewGroup("Ops", true)
	info, err := b.GetChat(ctx, &bot.GetChatParams{ChatID: g.ID})
	if err != nil || info.Title != "Ops" || !info.IsForum || info.Type != models.ChatTypeSupergroup {
		t.Fatalf("getChat = %+v, %v", info, err)
	}
}

func TestSetDelay(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	s.SetDelay("getMe", 100*time.Millisecond)
	start := time.Now()
	if _, err := b.GetMe(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("answered after %v", d)
	}
}
