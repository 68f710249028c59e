package playground

import (
	"context"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/botapitest"
	"reentrybot/browsertest"
	"reentrybot/zalotest"
)

// startEchoBot runs a tiny bot on s: it answers any private text with an
// HTML message with an inline keyboard, and edits that message when its
// button is pressed.
func startEchoBot(t *testing.T, s *botapitest.Server) *bot.Bot {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	handler := func(ctx context.Context, b *bot.Bot, upd *models.Update) {
		switch {
		case upd.Message != nil && upd.Message.Chat.Type == models.ChatTypePrivate && upd.Message.Text != "":
			_, err := b.SendMessage(ctx, &bot.SendMessageParams{
				ChatID:    upd.Message.Chat.ID,
				ParseMode: models.ParseModeHTML,
				Text: "<b>Chào bạn!</b> Bạn vừa gửi: <i>" + html.EscapeString(upd.Message.Text) + "</i>\n" +
					"<blockquote>Trung tâm Dịch vụ việc làm Bắc Ninh</blockquote>",
				ReplyMarkup: botapitest.InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{
					{{Text: "Xem việc làm", CallbackData: "jobs"}},
				}}),
			})
			if err != nil {
				t.Logf("bot: sendMessage: %v", err)
			}
		case upd.CallbackQuery != nil && upd.CallbackQuery.Message.Message != nil:
			m := upd.CallbackQuery.Message.Message
			_, _ = b.AnswerCallbackQuery(ctx, &bot.AnswerCallbackQueryParams{CallbackQueryID: upd.CallbackQuery.ID})
			_, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{
				ChatID: m.Chat.ID, MessageID: m.ID, ParseMode: models.ParseModeHTML,
				Text: "<b>Việc làm đang tuyển</b>: công nhân <u>may mặc</u>, Yên Phong. <code>VL-0142</code>",
			})
			if err != nil {
				t.Logf("bot: editMessageText: %v", err)
			}
		}
	}
	b, err := bot.New(s.Token(), bot.WithServerURL(s.URL()), bot.WithSkipGetMe(),
		bot.WithDefaultHandler(handler), bot.WithErrorsHandler(func(error) {}))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return b
}

func TestPlaygroundInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()

	s := newServer(t, unlimited)
	counsellor := s.NewUser("Lan", "vi")
	officer := s.NewUser("Hùng", "vi")
	group := s.NewGroup("Tư vấn việc làm Bắc Ninh", true)
	var pg *Playground
	oa := zalotest.New(zalotest.Options{OnSend: func(id string, m zalotest.Message) { pg.ZaloSent(id, m) }})
	defer oa.Close()
	pg = mount(s, Options{
		Zalo:         oa,
		AdvanceClock: func(time.Duration) error { return nil },
		Personas: []Persona{
			{Label: "Counsellor", User: counsellor, Group: true},
			{Label: "Commune officer", User: officer},
		},
		GroupChatID: group.ID,
	})
	b := startEchoBot(t, s)
	startZaloBot(t, oa)

	// A case topic with a case card, as the real bot makes them.
	topic, err := b.CreateForumTopic(ctx, &bot.CreateForumTopicParams{ChatID: group.ID, Name: "Việc làm · Minh · Yên Phong"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID: group.ID, MessageThreadID: topic.MessageThreadID, ParseMode: models.ParseModeHTML,
		Text: "<b>Hồ sơ #12 · Việc làm</b>\nXã: Yên Phong\nNghề mong muốn: <i>may mặc</i>\nTrạng thái: <u>chờ nhận</u>",
		ReplyMarkup: botapitest.InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: "Nhận hồ sơ", CallbackData: "case:take:12"}, {Text: "Đóng", CallbackData: "case:close:12"},
		}}}),
	}); err != nil {
		t.Fatal(err)
	}

	bctx := browsertest.Start(t, ctx, chromedp.WindowSize(1440, 900))
	if err := chromedp.Do(bctx,
		chromedp.Navigate(s.URL()+"/"),
		chromedp.WaitVisible(css(`[data-testid="conn-status"][data-state="live"]`)),
		chromedp.WaitVisible(css(`[data-testid="chat-`+strconv.FormatInt(counsellor.ID, 10)+`"]`)),
		chromedp.Click(css(`[data-testid="new-returnee"]`)),
	); err != nil {
		t.Fatalf("open page, add a returnee: %v", err)
	}
	user := waitNewUser(t, ctx, s, counsellor.ID, officer.ID)
	uid := strconv.FormatInt(user.ID, 10)
	col := `[data-testid="chat-` + uid + `"]`

	if err := chromedp.Do(bctx,
		chromedp.WaitVisible(css(`[data-testid="input-`+uid+`"]`)),
		chromedp.SendKeys(css(`[data-testid="input-`+uid+`"]`), "xin chào"+kb.Enter),
		chromedp.WaitVisible(css(col+` .row.bot .text b`)),
	); err != nil {
		t.Fatalf("send text, see the reply: %v", err)
	}
	reply := text(t, bctx, col+` .row.bot .text b`)
	mine := text(t, bctx, col+` .row.me .text`)
	if reply != "Chào bạn!" || mine != "xin chào" {
		t.Fatalf("bold part of the reply = %q, own message = %q", reply, mine)
	}
	msgs := s.Messages(user.ID)
	if len(msgs) != 1 {
		t.Fatalf("bot messages: %+v", msgs)
	}
	msgSel := fmt.Sprintf(`[data-testid="msg-%d-%d"]`, user.ID, msgs[0].ID)

	if err := chromedp.Do(bctx,
		chromedp.WaitVisible(css(msgSel+` i`)),
		chromedp.WaitVisible(css(msgSel+` blockquote`)),
		chromedp.Click(css(msgSel+` [data-testid="btn-Xem việc làm"]`)),
		chromedp.WaitVisible(css(msgSel+`[data-edited="1"] u`)),
	); err != nil {
		t.Fatalf("press the button, see the edit: %v", err)
	}
	edited := text(t, bctx, msgSel)
	buttonsLeft, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll('`+msgSel+` .ikb').length`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(edited, "may mặc") || !strings.Contains(edited, "(edited)") || buttonsLeft != 0 {
		t.Fatalf("edited message = %q with %d buttons", edited, buttonsLeft)
	}

	// The counsellor answers in the case topic.
	if err := chromedp.Do(bctx,
		chromedp.Click(css(fmt.Sprintf(`[data-testid="topic-%d"]`, topic.MessageThreadID))),
		chromedp.WaitVisible(css(`[data-testid="group-messages"] [data-testid="btn-Nhận hồ sơ"]`)),
		chromedp.SendKeys(css(`[data-testid="group-input"]`), "Chào anh Minh, tôi là Lan."),
		chromedp.Click(css(`[data-testid="group-send"]`)),
		chromedp.WaitVisible(css(`[data-testid="group-messages"] .row.me`)),
	); err != nil {
		t.Fatalf("counsellor writes in the topic: %v", err)
	}
	hist := s.History(group.ID)
	if last := hist[len(hist)-1]; last.FromID != counsellor.ID || last.ThreadID != topic.MessageThreadID || last.Text != "Chào anh Minh, tôi là Lan." {
		t.Fatalf("counsellor's message: %+v", last)
	}

	// The bot asks for the phone number: the reply keyboard's contact button
	// shares it.
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: user.ID, Text: "Cho tôi xin số điện thoại nhé.",
		ReplyMarkup: &models.ReplyKeyboardMarkup{Keyboard: [][]models.KeyboardButton{{{Text: "Chia sẻ số điện thoại", RequestContact: true}}}, OneTimeKeyboard: true}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx,
		chromedp.Click(css(`[data-testid="share-contact-`+uid+`"]`)),
		chromedp.Click(css(`[data-testid="contact-send-`+uid+`"]`)),
		chromedp.WaitVisible(css(col+` .row.me[data-kind="contact"]`)),
		chromedp.WaitNotPresent(css(`[data-testid="share-contact-`+uid+`"]`)), // one-time keyboard used
	); err != nil {
		t.Fatalf("share contact: %v", err)
	}
	if h := s.History(user.ID); h[len(h)-1].Kind != "contact" || h[len(h)-1].Phone != "0912 345 678" {
		t.Fatalf("contact: %+v", h[len(h)-1])
	}

	// A Zalo returnee, added from the page, says /start and gets the
	// consent question: plain text, its buttons one per row.
	if err := chromedp.Do(bctx, chromedp.Click(css(`[data-testid="new-zalo"]`))); err != nil {
		t.Fatalf("add a Zalo returnee: %v", err)
	}
	zu := waitZaloUser(t, ctx, oa)
	zid := strconv.FormatInt(zu, 10)
	zmsg := `[data-testid="zmsg-` + zid + `-1"]`
	if err := chromedp.Do(bctx,
		chromedp.WaitVisible(css(`[data-testid="zalo-input-`+zid+`"]`)),
		chromedp.SendKeys(css(`[data-testid="zalo-input-`+zid+`"]`), "/start"+kb.Enter),
		chromedp.WaitVisible(css(zmsg+` [data-testid="zbtn-Không đồng ý"]`)),
	); err != nil {
		t.Fatalf("Zalo /start, see the consent question: %v", err)
	}
	type zview struct {
		Text, Head       string
		Bold, Mine       int
		Buttons, Columns int
		Titles           []string
	}
	v, err := chromedp.Run(bctx, chromedp.Evaluate[zview](`(() => {
		const m = document.querySelector('`+zmsg+`');
		const bs = [...m.querySelectorAll('.zbtn')];
		return {
			Text: m.querySelector('.ztext').textContent,
			Head: getComputedStyle(document.querySelector('[data-testid="zalo-chat-`+zid+`"] .zhead')).backgroundColor,
			Bold: m.querySelectorAll('b, strong').length,
			Mine: document.querySelectorAll('[data-testid="zalo-messages-`+zid+`"] .zrow.me').length,
			Buttons: bs.length,
			Columns: new Set(bs.map((b) => Math.round(b.getBoundingClientRect().left))).size,
			Titles: bs.map((b) => b.textContent),
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if v.Text != zaloConsentQ || v.Bold != 0 || v.Mine != 1 || v.Buttons != 2 || v.Columns != 1 ||
		!slices.Equal(v.Titles, []string{"Đồng ý", "Không đồng ý"}) || v.Head != "rgb(0, 104, 255)" {
		t.Fatalf("Zalo consent question on the page: %+v", v)
	}
	// Consenting brings the share-phone card; sharing brings the long menu
	// as a numbered list, with the hint to type a number.
	if err := chromedp.Do(bctx,
		chromedp.Click(css(zmsg+` [data-testid="zbtn-Đồng ý"]`)),
		chromedp.Click(css(`[data-testid="zalo-share-`+zid+`"]`)),
		chromedp.WaitVisible(css(`[data-testid="zalo-hint-`+zid+`"]`)),
	); err != nil {
		t.Fatalf("Zalo consent, share the phone: %v", err)
	}
	if u, _ := oa.User(zid); u.Phone != "84912345678" {
		t.Fatalf("phone at the OA: %q", u.Phone)
	}

	png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	paths := []string{filepath.Join(t.TempDir(), "playground.png")}
	if p := os.Getenv("PLAYGROUND_SCREENSHOT"); p != "" {
		paths = append(paths, p)
	}
	for _, p := range paths {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatalf("saving the screenshot: %v", err)
		}
	}
	// Start over: the first returnee's column goes, a new one comes.
	if err := chromedp.Do(bctx,
		chromedp.Click(css(`[data-testid="start-over"]`)),
		chromedp.WaitNotPresent(css(col)),
	); err != nil {
		t.Fatalf("start over: %v", err)
	}
	fresh := waitNewUser(t, ctx, s, counsellor.ID, officer.ID, user.ID)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`[data-testid="input-`+strconv.FormatInt(fresh.ID, 10)+`"]`))); err != nil {
		t.Fatalf("new column after start over: %v", err)
	}

	if errs, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.documentElement.dataset.pageErrors || ''`)); err != nil || errs != "" {
		toast, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="toast"]').textContent`))
		t.Fatalf("script errors on the page: %q %v (last: %s)", errs, err, toast)
	}

	t.Logf("screenshot: %s (%d bytes); browser test took %s", strings.Join(paths, ", "), len(png), time.Since(start).Round(time.Millisecond))
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// waitZaloUser waits until the page has made a follower of the OA.
func waitZaloUser(t *testing.T, ctx context.Context, oa *zalotest.Server) int64 {
	t.Helper()
	for {
		if us := oa.Users(); len(us) > 0 {
			id, _ := strconv.ParseInt(us[0].ID, 10, 64)
			return id
		}
		select {
		case <-ctx.Done():
			t.Fatal("the page made no Zalo follower")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// text returns the visible text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

// waitNewUser waits until the page has created a user other than the
// personas.
func waitNewUser(t *testing.T, ctx context.Context, s *botapitest.Server, personas ...int64) botapitest.User {
	t.Helper()
	for {
		for _, c := range s.Chats() {
			if c.User != nil && !slices.Contains(personas, c.ID) {
				return *c.User
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal("the page created no user")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
