package demo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"reentrybot/browsertest"
	"reentrybot/config"
	"reentrybot/dbtest"
	"reentrybot/demo"
)

// The package's tests get a fresh migrated database each from dbtest (a
// throwaway cluster, or TEST_DATABASE_URL's server).
func TestMain(m *testing.M) { dbtest.Main(m) }

// screenshotPath is where UPDATE_SCREENSHOT=1 writes the README's picture
// (tests run in the package directory).
const screenshotPath = "../docs/playground.png"

// maxScreenshot keeps the committed picture small.
const maxScreenshot = 400 << 10

// TestPlaygroundWalkthrough runs the real demo and plays it in Chromium by
// clicks, as a newcomer would: a new returnee registers job needs and gets
// a case number; the counsellor sees the topic, takes the case and
// answers; the returnee reads the answer signed with the counsellor's name.
// The page at that moment is the README's screenshot.
func TestPlaygroundWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	browsertest.Need(t)
	began := time.Now()
	lap := began
	timing := func(what string) {
		t.Logf("%-44s %6s (total %s)", what, time.Since(lap).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
		lap = time.Now()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	env := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "127.0.0.1:0", "DATABASE_URL": dbtest.URL(t), "LOG_LEVEL": "debug"}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	logs := &browsertest.Log{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: cfg.LogLevel}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("demo log (last lines):\n%s", logs.Tail(60))
		}
	})
	d, err := demo.Start(ctx, cfg, log)
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(func() {
		// The demo's server only logs what breaks the Bot API
		// specification: here it fails the walkthrough.
		for _, v := range d.API.Violations() {
			t.Errorf("botapitest: a call broke the Bot API specification: %s", v)
		}
	})
	t.Cleanup(d.Stop) // before dbtest drops the database
	timing("demo started (database, server, bot, staff)")

	p := &page{t: t, ctx: browsertest.Start(t, ctx, chromedp.WindowSize(1600, 1000))}
	counsellor := strconv.FormatInt(d.Counsellor.ID, 10)
	p.do("open the playground",
		chromedp.EmulateViewport(1600, 1000),
		// The page shows times in the browser's zone: the bot's, as for a
		// person in Bắc Ninh.
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: cfg.TimeZone.String()})
			return err
		}),
		chromedp.Navigate(d.URL()),
		chromedp.WaitVisible(css(`[data-testid="conn-status"][data-state="live"]`)),
		chromedp.WaitVisible(css(`[data-testid="chat-`+counsellor+`"] [data-testid="topics"]`)),
		chromedp.WaitVisible(css(`[data-testid="chat-`+strconv.FormatInt(d.Officer.ID, 10)+`"]`)),
		chromedp.WaitVisible(css(`[data-testid="desk-link"]`)), // the staff desk's column (playground/desk.go)
	)
	timing("page open, personas shown")

	// 1. A new returnee: consent, "Find a job", the profile, the job needs.
	p.do("add a returnee", chromedp.Click(css(`[data-testid="new-returnee"]`)))
	var who struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	p.pollInto("the new returnee's column", &who, `(() => {
		const c = document.querySelector('section.column:not(.persona)');
		return c && { id: c.dataset.user, name: c.querySelector('.name').textContent };
	})()`)
	r := &chat{p: p, id: who.ID}
	fullName := "Trần " + who.Name

	r.say("/start")
	r.press("agree_all", "✅ Đồng ý tất cả")
	r.press("m:job", "💼 Tìm việc làm")
	r.say(fullName)
	r.say("1990")
	r.press("g:male", "")
	r.shareContact()
	r.say("hiep hoa")
	r.press("c:07840", "")
	r.press("ed:upper_secondary", "")
	timing("consent and profile")
	r.press("t:factory", "")
	r.press("done", "")
	r.press("v:none", "") // working now: not yet
	r.press("v:none", "") // qualification: none
	r.press("v:province", "")
	r.press("v:full", "")
	r.press("v:any", "")
	r.press("v:now", "")
	r.press("v:no", "")
	r.press("skip", "")
	r.press("b:none", "")
	r.press("done", "")
	r.press("done", "") // no priority group
	r.press("confirm", "")
	caseNo := r.waitBot("the case number", "Đã nhận yêu cầu số", "b")
	if _, err := strconv.Atoi(caseNo); err != nil {
		t.Fatalf("case number in bold = %q", caseNo)
	}
	timing("job needs confirmed, case #" + caseNo)

	// 2. The counsellor: the topic appears in the staff group; open it, the
	// card, Take, an answer.
	col := `[data-testid="chat-` + counsellor + `"]`
	var topic struct {
		TestID string `json:"testid"`
		Name   string `json:"name"`
	}
	p.pollFunc("the case's topic in the staff group", &topic, `((col, no) => {
		for (const b of document.querySelectorAll(col + ' [data-testid="topics"] button.topic')) {
			const name = b.querySelector('.topic-name').textContent;
			if (name.startsWith('#' + no + ' ')) return { testid: b.dataset.testid, name };
		}
		return null;
	})`, col, caseNo)
	if strings.Contains(topic.Name, who.Name) {
		t.Errorf("topic title %q shows the returnee's name", topic.Name)
	}
	group := col + ` [data-testid="group-messages"]`
	take := group + ` button.ikb[data-data="k:take:` + caseNo + `"]`
	p.do("open the topic, see the card",
		chromedp.Click(css(col+` [data-testid="`+topic.TestID+`"]`)),
		chromedp.WaitVisible(css(take)),
	)
	// The topic card is short: the first name and the commune; the full
	// profile is a button away (issue 16).
	card := p.text(group)
	names := strings.Fields(fullName)
	for _, want := range []string{"Tên gọi: " + names[len(names)-1], "Hiệp Hòa", "Xem hồ sơ đầy đủ"} {
		if !strings.Contains(card, want) {
			t.Errorf("the card does not show %q:\n%s", want, card)
		}
	}
	for _, not := range []string{fullName, "1990"} {
		if strings.Contains(card, not) {
			t.Errorf("the topic card shows %q:\n%s", not, card)
		}
	}
	timing("topic and card seen")
	if label := p.text(take); label != "Nhận hồ sơ" {
		t.Errorf("Take button reads %q", label)
	}
	p.do("take the case", chromedp.Click(css(take)))
	p.poll("the case taken", `((sel, want) => {
		const box = document.querySelector(sel);
		return !!box && box.textContent.includes(want);
	})`, group, "Chị Lan (mẫu) đã nhận hồ sơ")
	answer := "Chào anh " + who.Name + ". KCN Quế Võ đang tuyển công nhân, sáng thứ Hai anh qua Trung tâm gặp chị nhé."
	p.do("answer in the topic",
		chromedp.SendKeys(css(col+` [data-testid="group-input"]`), answer),
		chromedp.Click(css(col+` [data-testid="group-send"]`)),
	)
	p.poll("the answer in the topic", `((sel, want) => {
		return [...document.querySelectorAll(sel + ' .row.me .text')].some((e) => e.textContent === want);
	})`, group, answer)
	timing("taken and answered")

	// 3. The returnee reads it, signed with the counsellor's display name.
	signed := r.waitBot("the counsellor's answer", answer, "b")
	if signed != "Chị Lan (mẫu)" {
		t.Errorf("answer signed %q, want the counsellor's display name", signed)
	}
	timing("answer seen by the returnee")

	if errs := p.eval(`document.documentElement.dataset.pageErrors || ''`); errs != "" {
		t.Errorf("script errors on the page: %s (toast: %q)", errs, p.eval(`document.querySelector('[data-testid="toast"]').textContent`))
	}
	p.screenshot()
	timing("screenshot")
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// page drives the playground; every failure names the step and shows what
// the page showed.
type page struct {
	t   *testing.T
	ctx context.Context
}

const stepTimeout = 15 * time.Second

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

// poll waits until the JavaScript function fn, called with args, returns
// a truthy value, and returns it as a string.
func (p *page) poll(what, fn string, args ...any) string {
	p.t.Helper()
	var v any
	p.pollFunc(what, &v, fn, args...)
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	default:
		return fmt.Sprint(v)
	}
}

// pollInto waits until the JavaScript expression expr is truthy and
// decodes it into dst.
func (p *page) pollInto(what string, dst any, expr string) {
	p.t.Helper()
	p.pollFunc(what, dst, `() => `+expr)
}

func (p *page) pollFunc(what string, dst any, fn string, args ...any) {
	p.t.Helper()
	raw, err := chromedp.Run(p.ctx, chromedp.PollFunction[[]byte](fn,
		chromedp.WithPollingInterval(25*time.Millisecond),
		chromedp.WithPollingTimeout(stepTimeout),
		chromedp.WithPollingArgs(args...)))
	if err == nil {
		err = json.Unmarshal(raw, dst)
	}
	if err != nil {
		p.fail(what, err)
	}
}

func (p *page) eval(expr string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.fail(expr, err)
	}
	return v
}

func (p *page) text(sel string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Text(css(sel)))
	if err != nil {
		p.fail("text of "+sel, err)
	}
	return v
}

// fail ends the test with what every column last showed.
func (p *page) fail(what string, err error) {
	p.t.Helper()
	cols, _ := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('section.column')].map((c) => {
		const t = c.innerText;
		return c.dataset.testid + ':\n' + (t.length > 1200 ? '…' + t.slice(-1200) : t);
	})`))
	p.t.Fatalf("%s: %v\n\nthe page:\n%s", what, err, strings.Join(cols, "\n----\n"))
}

// screenshot saves the viewport as PNG in the test's directory, and as the
// README's picture with UPDATE_SCREENSHOT=1.
func (p *page) screenshot() {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.fail("screenshot", err)
	}
	paths := []string{filepath.Join(p.t.TempDir(), "playground.png")}
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		if len(png) > maxScreenshot {
			p.t.Errorf("screenshot is %d KB, over %d KB: not written to %s", len(png)>>10, maxScreenshot>>10, screenshotPath)
		} else {
			if err := os.MkdirAll(filepath.Dir(screenshotPath), 0o755); err != nil {
				p.t.Fatal(err)
			}
			paths = append(paths, screenshotPath)
		}
	}
	for _, path := range paths {
		if err := os.WriteFile(path, png, 0o644); err != nil {
			p.t.Fatalf("saving the screenshot: %v", err)
		}
	}
	p.t.Logf("screenshot (%d KB): %s", len(png)>>10, strings.Join(paths, ", "))
}

// chat is a returnee's column. seen is the newest bot message id that an
// action of the test has answered: the next question must be newer.
type chat struct {
	p    *page
	id   string
	seen int
}

func (c *chat) sel() string { return `[data-testid="messages-` + c.id + `"]` }

// newestBot is the id of the newest bot message in the column.
func (c *chat) newestBot() int {
	c.p.t.Helper()
	n, err := chromedp.Run(c.p.ctx, chromedp.Evaluate[int](`(() => {
		const rows = document.querySelectorAll('`+c.sel()+` > .row.bot');
		if (!rows.length) return 0;
		const id = rows[rows.length - 1].dataset.testid;
		return Number(id.slice(id.lastIndexOf('-') + 1));
	})()`))
	if err != nil {
		c.p.fail("newest bot message", err)
	}
	return n
}

// say types text into the returnee's box and sends it with Enter.
func (c *chat) say(text string) {
	c.p.t.Helper()
	c.seen = c.newestBot()
	c.p.do("type "+text, chromedp.SendKeys(css(`[data-testid="input-`+c.id+`"]`), text+kb.Enter))
}

// press waits for a bot message newer than the last answered one with the
// button of option id (callback data "<version>:<id>"), checks its label
// when label is given, and clicks it.
func (c *chat) press(option, label string) {
	c.p.t.Helper()
	var b struct {
		Msg   int    `json:"msg"`
		Data  string `json:"data"`
		Label string `json:"label"`
	}
	c.p.pollFunc("the button "+option, &b, `((box, opt, after) => {
		const rows = document.querySelectorAll(box + ' > .row.bot');
		for (let i = rows.length - 1; i >= 0; i--) {
			const tid = rows[i].dataset.testid;
			const id = Number(tid.slice(tid.lastIndexOf('-') + 1));
			if (id <= after) break;
			for (const b of rows[i].querySelectorAll('button.ikb')) {
				const d = b.dataset.data;
				if (d === opt || d.endsWith(':' + opt)) return { msg: id, data: d, label: b.textContent };
			}
		}
		return null;
	})`, c.sel(), option, c.seen)
	if label != "" && b.Label != label {
		c.p.t.Errorf("button %s reads %q, want %q", option, b.Label, label)
	}
	c.seen = c.newestBot()
	c.p.do("press "+option, chromedp.Click(css(fmt.Sprintf(`[data-testid="msg-%s-%d"] button.ikb[data-data="%s"]`, c.id, b.Msg, b.Data))))
}

// shareContact shares the phone number with the reply keyboard's button.
func (c *chat) shareContact() {
	c.p.t.Helper()
	c.seen = c.newestBot()
	c.p.do("share the phone number",
		chromedp.WaitVisible(css(`[data-testid="share-contact-`+c.id+`"]`)),
		chromedp.Click(css(`[data-testid="share-contact-`+c.id+`"]`)),
		chromedp.Click(css(`[data-testid="contact-send-`+c.id+`"]`)),
		chromedp.WaitVisible(css(c.sel()+` > .row.me[data-kind="contact"]`)),
	)
}

// waitBot waits for a bot message containing text and returns the text of
// its first element matching inner.
func (c *chat) waitBot(what, text, inner string) string {
	c.p.t.Helper()
	return c.p.poll(what, `((box, want, inner) => {
		for (const r of document.querySelectorAll(box + ' > .row.bot .text')) {
			if (!r.textContent.includes(want)) continue;
			const e = r.querySelector(inner);
			return e ? e.textContent : '(no ' + inner + ')';
		}
		return '';
	})`, c.sel(), text, inner)
}
