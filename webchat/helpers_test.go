package webchat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"reentrybot/botapitest"
	"reentrybot/browsertest"
	"reentrybot/config"
	"reentrybot/dbtest"
	"reentrybot/demo"
)

// The package's tests get a fresh migrated database each from dbtest.
func TestMain(m *testing.M) { dbtest.Main(m) }

// env is the whole service on this machine (the demo: the bot, the test
// Bot API server with the staff group and a counsellor) with the web chat
// on its HTTP listener.
type env struct {
	t    *testing.T
	ctx  context.Context
	d    *demo.Demo
	base string // the web chat's origin
	logs *browsertest.Log
}

func start(t *testing.T, vars map[string]string) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	vs := map[string]string{"HTTP_ADDR": "127.0.0.1:0", "METRICS_ADDR": "off", "DATABASE_URL": dbtest.URL(t), "LOG_LEVEL": "debug"}
	for k, v := range vars {
		vs[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vs[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	logs := &browsertest.Log{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := demo.Start(ctx, cfg, log)
	if err != nil {
		t.Fatalf("demo.Start: %v\n%s", err, logs.Tail(40))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log (last lines):\n%s", logs.Tail(60))
		}
		for _, v := range d.API.Violations() {
			t.Errorf("botapitest: a call broke the Bot API specification: %s", v)
		}
	})
	t.Cleanup(d.Stop)
	return &env{t: t, ctx: ctx, d: d, base: "http://" + d.App.Addr, logs: logs}
}

// msg is a message as the page's stream sends it.
type msg struct {
	ID      int64  `json:"id"`
	Mine    bool   `json:"mine"`
	Text    string `json:"text"`
	File    string `json:"file"`
	Name    string `json:"name"`
	Buttons [][]struct {
		Label string `json:"label"`
		Data  string `json:"data"`
	} `json:"buttons"`
}

// web is a person on the web chat driven over HTTP, as the page's script
// does it.
type web struct {
	e    *env
	c    *http.Client
	csrf string
	msgs []msg
	// seen is the newest message when the person last acted: an answer
	// is what follows it.
	seen int64
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second}
}

// newPerson opens /chat?c=commune and presses Start.
func (e *env) newPerson(commune string) *web {
	e.t.Helper()
	w := &web{e: e, c: e.client()}
	page := w.get("/chat?c=" + commune)
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		e.t.Fatalf("no form token on the landing page:\n%s", page)
	}
	resp := w.post("/chat/start", url.Values{"csrf": {m[1]}, "c": {commune}}, false)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("start: %s", resp.Status)
	}
	w.loadPage()
	return w
}

// loadPage reads the chat page's token.
func (w *web) loadPage() string {
	w.e.t.Helper()
	page := w.get("/chat")
	m := csrfRe.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `data-testid="my-code"`) {
		w.e.t.Fatalf("not the chat page:\n%s", page)
	}
	w.csrf = m[1]
	return page
}

func (w *web) get(path string) string {
	w.e.t.Helper()
	resp, err := w.c.Get(w.e.base + path)
	if err != nil {
		w.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// post sends a form as the page does (same origin); script says whether
// as its script (fetch) or as a plain form.
func (w *web) post(path string, form url.Values, script bool) *http.Response {
	w.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.e.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if script {
		req.Header.Set("X-Requested-With", "fetch")
	}
	resp, err := w.c.Do(req)
	if err != nil {
		w.e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(b)))
	return resp
}

// read takes what the stream has after the newest message held, waiting
// up to wait seconds.
func (w *web) read(wait int) []msg {
	w.e.t.Helper()
	var after int64
	if len(w.msgs) > 0 {
		after = w.msgs[len(w.msgs)-1].ID
	}
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/chat/events?poll=1&wait=%d&after=%d", w.e.base, wait, after), nil)
	req.Header.Set("Accept", "application/json")
	resp, err := w.c.Do(req)
	if err != nil {
		w.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var got []msg
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		w.e.t.Fatalf("events: %s: %v", resp.Status, err)
	}
	w.msgs = append(w.msgs, got...)
	return got
}

// answer waits for the bot's answer to the last action: bot messages
// after it, until the stream stays quiet.
func (w *web) answer(what string) []msg {
	w.e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		w.read(1)
		var out []msg
		for _, m := range w.msgs {
			if m.ID > w.seen && !m.Mine {
				out = append(out, m)
			}
		}
		if len(out) > 0 {
			time.Sleep(30 * time.Millisecond) // a split answer arrives whole
			for len(w.read(0)) > 0 {
				time.Sleep(30 * time.Millisecond)
			}
			out = out[:0]
			for _, m := range w.msgs {
				if m.ID > w.seen && !m.Mine {
					out = append(out, m)
				}
			}
			return out
		}
	}
	w.e.t.Fatalf("no answer to %s; last messages: %+v", what, w.tail(3))
	return nil
}

func (w *web) tail(n int) []msg {
	if len(w.msgs) > n {
		return w.msgs[len(w.msgs)-n:]
	}
	return w.msgs
}

func (w *web) mark() {
	if len(w.msgs) > 0 {
		w.seen = w.msgs[len(w.msgs)-1].ID
	}
}

// say writes text and waits for the answer.
func (w *web) say(text string) []msg {
	w.e.t.Helper()
	w.read(0)
	w.mark()
	if resp := w.post("/chat/send", url.Values{"csrf": {w.csrf}, "text": {text}}, true); resp.StatusCode != http.StatusNoContent {
		w.e.t.Fatalf("send %q: %s", text, resp.Status)
	}
	return w.answer(text)
}

// button is the newest offered button for option id ("<version>:<id>").
func (w *web) button(id string) (data string, ok bool) {
	for i := len(w.msgs) - 1; i >= 0; i-- {
		for _, row := range w.msgs[i].Buttons {
			for _, b := range row {
				if strings.HasSuffix(b.Data, ":"+id) {
					return b.Data, true
				}
			}
		}
	}
	return "", false
}

// choose presses the button of option id and waits for the answer.
func (w *web) choose(id string) []msg {
	w.e.t.Helper()
	w.read(0)
	data, ok := w.button(id)
	// The last part of a split answer may still be on its way (a loaded
	// machine takes longer than answer's quiet spell between two parts).
	for deadline := time.Now().Add(10 * time.Second); !ok && time.Now().Before(deadline); {
		w.read(1)
		data, ok = w.button(id)
	}
	if !ok {
		w.e.t.Fatalf("option %s not offered; last messages: %+v", id, w.tail(3))
	}
	w.mark()
	if resp := w.post("/chat/send", url.Values{"csrf": {w.csrf}, "b": {data}}, true); resp.StatusCode != http.StatusNoContent {
		w.e.t.Fatalf("press %s: %s", id, resp.Status)
	}
	return w.answer(id)
}

// jobSteps take a person from consent to a confirmed job case, as in
// bot's TestSmallChannelCarriesJobFlow: an option id to press, or "=text"
// to type. "?commune" types the commune unless it is offered already
// (the page opened from the commune's poster).
func jobSteps(name, phone string) []string {
	return []string{"agree_all", "m:job", "=" + name, "=1990", "g:male", "=" + phone, "?commune",
		"c:07840", "ed:upper_secondary", "t:garment", "t:factory", "done",
		"v:none", "v:none", "v:province", "v:full", "v:any", "v:now", "v:no", "skip", "b:transport", "done", "done", "confirm"}
}

// jobNeeds plays jobSteps over HTTP.
func (w *web) jobNeeds(name, phone string) {
	w.e.t.Helper()
	w.answer("the start")
	for _, s := range jobSteps(name, phone) {
		switch {
		case s == "?commune":
			if _, offered := w.button("c:07840"); !offered {
				w.say("hiep hoa")
			}
		case strings.HasPrefix(s, "="):
			w.say(s[1:])
		default:
			w.choose(s)
		}
	}
}

// answerInTopic is the counsellor's side: the case's topic in the staff
// group, Take, then the answer written in the topic. It returns the
// case's card as the counsellor read it.
func (e *env) answerInTopic(text string) string {
	e.t.Helper()
	card := e.takeInTopic()
	e.d.API.SendTextIn(e.d.Group.ID, card.ThreadID, e.d.Counsellor, text)
	return card.Text
}

// takeInTopic has the counsellor take the person's case from its card in
// the staff group, and returns the card.
func (e *env) takeInTopic() botapitest.Message {
	e.t.Helper()
	api, group, lan := e.d.API, e.d.Group.ID, e.d.Counsellor
	var card botapitest.Message
	var take string
	e.waitFor("the case's card with Take", func() bool {
		for _, tp := range api.Topics(group) {
			for _, m := range api.TopicMessages(group, tp.ThreadID) {
				if m.Markup == nil {
					continue
				}
				for _, row := range m.Markup.InlineKeyboard {
					for _, b := range row {
						if strings.HasPrefix(b.CallbackData, "k:take:") {
							card, take = m, b.CallbackData
							return true
						}
					}
				}
			}
		}
		return false
	})
	if _, err := api.PressButton(lan, card, take); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("the case taken", func() bool {
		for _, m := range api.TopicMessages(group, card.ThreadID) {
			if strings.Contains(m.Text, "đã nhận hồ sơ") {
				return true
			}
		}
		return false
	})
	return card
}

func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
