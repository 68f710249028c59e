package playground

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/botapitest"
)

// pgState mirrors the parts of GET api/state the tests look at.
type pgState struct {
	Bot struct {
		Username string `json:"username"`
	} `json:"bot"`
	Clock bool      `json:"clock"`
	Users []webUser `json:"users"`
	Group *webGroup `json:"group"`
	Chats map[string][]webMessage
	Zalo  *webZalo `json:"zalo"`
}

type pgFixture struct {
	s          *botapitest.Server
	counsellor botapitest.User
	officer    botapitest.User
	group      botapitest.Chat
	pg         *Playground
	clock      []time.Duration
	mu         sync.Mutex
}

func newPlaygroundFixture(t *testing.T, withClock bool) *pgFixture {
	t.Helper()
	f := &pgFixture{s: newServer(t, unlimited)}
	f.counsellor = f.s.NewUser("Lan", "vi")
	f.officer = f.s.NewUser("Hùng", "vi")
	f.group = f.s.NewGroup("Tư vấn việc làm Bắc Ninh", true)
	opts := Options{
		Personas: []Persona{
			{Label: "Counsellor", User: f.counsellor, Group: true},
			{Label: "Commune officer", User: f.officer},
		},
		GroupChatID: f.group.ID,
	}
	if withClock {
		opts.AdvanceClock = func(d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.clock = append(f.clock, d)
			return nil
		}
	}
	f.pg = mount(f.s, opts)
	return f
}

func pgDo(t *testing.T, method, url, ctype string, body io.Reader) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// post calls a playground action; it fails the test unless the status is want.
func (f *pgFixture) post(t *testing.T, action string, body any, want int) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	status, _, raw := pgDo(t, http.MethodPost, f.s.URL()+"/playground/api/"+action, "application/json", bytes.NewReader(b))
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: answer is not JSON: %s", action, raw)
	}
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", action, b, status, want, raw)
	}
	return out
}

func (f *pgFixture) state(t *testing.T) pgState {
	t.Helper()
	status, _, raw := pgDo(t, http.MethodGet, f.s.URL()+"/playground/api/state", "", nil)
	if status != http.StatusOK {
		t.Fatalf("state: %d %s", status, raw)
	}
	var st pgState
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("state: %v: %s", err, raw)
	}
	return st
}

func (st pgState) user(id int64) (webUser, bool) {
	for _, u := range st.Users {
		if u.ID == id {
			return u, true
		}
	}
	return webUser{}, false
}

func (st pgState) chat(id int64) []webMessage { return st.Chats[strconv.FormatInt(id, 10)] }

func newReturnee(t *testing.T, f *pgFixture) webUser {
	t.Helper()
	out := f.post(t, "users", map[string]any{}, http.StatusOK)
	raw, _ := json.Marshal(out["user"])
	var u webUser
	if err := json.Unmarshal(raw, &u); err != nil || u.ID == 0 {
		t.Fatalf("users: %v %s", err, raw)
	}
	return u
}

func pendingUpdates(t *testing.T, s *botapitest.Server) []models.Update {
	t.Helper()
	status, r := callJSON(t, s, "getUpdates", map[string]any{})
	if status != http.StatusOK {
		t.Fatalf("getUpdates: %d %s", status, r.Description)
	}
	var ups []models.Update
	if err := json.Unmarshal(r.Result, &ups); err != nil {
		t.Fatal(err)
	}
	return ups
}

func TestPlaygroundPageAndRouting(t *testing.T) {
	f := newPlaygroundFixture(t, false)
	base := f.s.URL()

	status, h, _ := pgDo(t, http.MethodGet, base+"/", "", nil)
	if status != http.StatusFound || h.Get("Location") != "/playground/" {
		t.Fatalf("GET / = %d %q, want a redirect to /playground/", status, h.Get("Location"))
	}
	status, h, body := pgDo(t, http.MethodGet, base+"/playground/", "", nil)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", status, h.Get("Content-Type"))
	}
	for _, want := range []string{`data-testid="new-returnee"`, `src="app.js"`, `href="style.css"`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("page lacks %s", want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	// Nothing on the page comes from elsewhere, and the script never turns
	// strings into HTML.
	for name, bad := range map[string][]string{
		"index.html": {"://", "//cdn", "<style", "onclick="},
		"style.css":  {"://", "@import", "@font-face"},
		"app.js":     {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "import("},
	} {
		raw, err := webFiles.ReadFile("web/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bad {
			if bytes.Contains(raw, []byte(b)) {
				t.Errorf("%s contains %q", name, b)
			}
		}
	}
	for path, ctype := range map[string]string{"app.js": "text/javascript", "style.css": "text/css", "icon.svg": "image/svg+xml"} {
		status, h, _ := pgDo(t, http.MethodGet, base+"/playground/"+path, "", nil)
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, status, h.Get("Content-Type"))
		}
	}
	for _, path := range []string{"/playground/nope.js", "/playground/web/app.js", "/playground/../server.go", "/playground/api/nope"} {
		if status, _, _ := pgDo(t, http.MethodGet, base+path, "", nil); status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, status)
		}
	}
	if status, _, _ := pgDo(t, http.MethodPost, base+"/playground/", "text/plain", strings.NewReader("x")); status != http.StatusMethodNotAllowed {
		t.Errorf("POST page = %d", status)
	}
	// The Bot API keeps working on the same port, and other paths get a 404.
	if status, r := callJSON(t, f.s, "getMe", nil); status != http.StatusOK || !r.OK {
		t.Fatalf("getMe: %d %s", status, r.Description)
	}
	if status, _, body := pgDo(t, http.MethodGet, base+"/elsewhere", "", nil); status != http.StatusNotFound || !bytes.Contains(body, []byte(`"ok":false`)) {
		t.Errorf("GET /elsewhere = %d %s", status, body)
	}
}

func TestPlaygroundNotMounted(t *testing.T) {
	s := newServer(t)
	status, _, body := pgDo(t, http.MethodGet, s.URL()+"/playground/", "", nil)
	if status != http.StatusNotFound || !bytes.Contains(body, []byte(`"ok":false`)) {
		t.Fatalf("without Mount: %d %s", status, body)
	}
	// The handler can be mounted elsewhere.
	mux := http.NewServeMux()
	mux.Handle("/", New(s, Options{}))
	rec := &recorder{header: http.Header{}}
	req, _ := http.NewRequest(http.MethodGet, "/playground/api/state", nil)
	mux.ServeHTTP(rec, req)
	if rec.status != http.StatusOK || !strings.Contains(rec.body.String(), `"users":[]`) {
		t.Fatalf("mounted handler: %d %s", rec.status, rec.body.String())
	}
}

type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) { r.status = code }

func TestPlaygroundAPI(t *testing.T) {
	f := newPlaygroundFixture(t, true)
	s := f.s
	ctx := ctxT(t)

	st := f.state(t)
	if st.Bot.Username != "reentry_test_bot" || !st.Clock || st.Group == nil || st.Group.UserID != f.counsellor.ID {
		t.Fatalf("initial state: %+v", st)
	}
	if len(st.Users) != 2 || st.Users[0].Label != "Counsellor" || !st.Users[0].Group || st.Users[1].Label != "Commune officer" || st.Users[1].Group {
		t.Fatalf("personas: %+v", st.Users)
	}

	// A returnee, created with one click, writes to the bot.
	u := newReturnee(t, f)
	if u.Lang != "vi" || !slices.Contains(vietnameseNames, u.FirstName) {
		t.Fatalf("new returnee = %+v", u)
	}
	f.post(t, "send", map[string]any{"user_id": u.ID, "text": "xin chào"}, http.StatusOK)
	f.post(t, "send", map[string]any{"user_id": u.ID, "text": "/start"}, http.StatusOK)
	st = f.state(t)
	if got, ok := st.user(u.ID); !ok || got.Persona || st.Users[0].ID != u.ID {
		t.Fatalf("returnees come first: %+v", st.Users)
	}
	msgs := st.chat(u.ID)
	if len(msgs) != 2 || msgs[0].Text != "xin chào" || msgs[0].FromBot || msgs[0].FromName != u.FirstName ||
		len(msgs[1].Entities) != 1 || msgs[1].Entities[0].Type != models.MessageEntityTypeBotCommand {
		t.Fatalf("chat after sending: %+v", msgs)
	}
	if ups := pendingUpdates(t, s); len(ups) != 2 || ups[0].Message == nil || ups[0].Message.Text != "xin chào" {
		t.Fatalf("updates: %+v", ups)
	}

	// The bot answers with HTML and an inline keyboard (the real client).
	b := newBot(t, s)
	sent, err := b.SendMessage(ctx, &bot.SendMessageParams{
		ChatID: u.ID, Text: "<b>Chào</b> bạn, chọn <i>một</i>:", ParseMode: models.ParseModeHTML,
		ReplyMarkup: botapitest.InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
			{Text: "Việc làm", CallbackData: "menu:job"}, {Text: "Khóa học", CallbackData: "menu:course"},
		}}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs = f.state(t).chat(u.ID)
	last := msgs[len(msgs)-1]
	if !last.FromBot || last.Text != "Chào bạn, chọn một:" || len(last.Entities) != 2 || len(last.Inline) != 1 ||
		last.Inline[0][1] != (webButton{Text: "Khóa học", Data: "menu:course"}) {
		t.Fatalf("bot message in state: %+v", last)
	}

	// Pressing the button reaches the bot as a callback query.
	f.post(t, "press", map[string]any{"user_id": u.ID, "chat_id": u.ID, "message_id": sent.ID, "data": "menu:course"}, http.StatusOK)
	ups := pendingUpdates(t, s)
	cq := ups[len(ups)-1].CallbackQuery
	if cq == nil || cq.Data != "menu:course" || cq.From.ID != u.ID || cq.Message.Message == nil || cq.Message.Message.ID != sent.ID {
		t.Fatalf("callback query: %+v", ups[len(ups)-1])
	}
	f.post(t, "press", map[string]any{"user_id": u.ID, "message_id": sent.ID, "data": "menu:loan"}, http.StatusBadRequest)
	f.post(t, "press", map[string]any{"user_id": u.ID, "message_id": 1, "data": "x"}, http.StatusBadRequest) // the user's own message
	f.post(t, "press", map[string]any{"user_id": f.officer.ID, "chat_id": u.ID, "message_id": sent.ID, "data": "menu:job"}, http.StatusBadRequest)

	// Contact, media, block.
	f.post(t, "contact", map[string]any{"user_id": u.ID, "phone": "0912 345 678"}, http.StatusOK)
	f.post(t, "media", map[string]any{"user_id": u.ID, "kind": "photo", "caption": "giấy tờ"}, http.StatusOK)
	f.post(t, "media", map[string]any{"user_id": u.ID, "kind": "document", "file_name": "cv.pdf"}, http.StatusOK)
	f.post(t, "media", map[string]any{"user_id": u.ID, "kind": "sticker"}, http.StatusOK)
	f.post(t, "media", map[string]any{"user_id": u.ID, "kind": "voice"}, http.StatusOK)
	f.post(t, "media", map[string]any{"user_id": u.ID, "kind": "location"}, http.StatusOK)
	f.post(t, "media", map[string]any{"user_id": u.ID, "kind": "location", "latitude": 21.0, "longitude": 105.8}, http.StatusOK)
	var kinds []string
	for _, m := range f.state(t).chat(u.ID)[3:] {
		kinds = append(kinds, m.Kind+":"+m.Phone+m.Caption+m.FileName)
	}
	if want := []string{"contact:0912 345 678", "photo:giấy tờ", "document:cv.pdf", "sticker:", "voice:", "location:", "location:"}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds = %q, want %q", kinds, want)
	}
	f.post(t, "block", map[string]any{"user_id": u.ID, "blocked": true}, http.StatusOK)
	if got, _ := f.state(t).user(u.ID); !got.Blocked {
		t.Fatal("block not shown in state")
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "x"}); err == nil {
		t.Fatal("sending to a user who blocked the bot must fail")
	}
	f.post(t, "block", map[string]any{"user_id": u.ID, "blocked": false}, http.StatusOK)
	if got, _ := f.state(t).user(u.ID); got.Blocked {
		t.Fatal("unblock not shown in state")
	}

	// The counsellor writes into a case topic the bot opened.
	topic, err := b.CreateForumTopic(ctx, &bot.CreateForumTopicParams{ChatID: f.group.ID, Name: "Việc làm · " + u.FirstName})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: f.group.ID, MessageThreadID: topic.MessageThreadID, Text: "Hồ sơ mới",
		ReplyMarkup: botapitest.InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "Nhận", CallbackData: "case:take:1"}}}})}); err != nil {
		t.Fatal(err)
	}
	f.post(t, "send", map[string]any{"user_id": f.counsellor.ID, "chat_id": f.group.ID, "thread_id": topic.MessageThreadID, "text": "Tôi nhận"}, http.StatusOK)
	st = f.state(t)
	if len(st.Group.Topics) != 1 || st.Group.Topics[0].ThreadID != topic.MessageThreadID || st.Group.Topics[0].Closed {
		t.Fatalf("topics: %+v", st.Group.Topics)
	}
	gm := st.chat(f.group.ID)
	if len(gm) != 2 || gm[0].ThreadID != topic.MessageThreadID || gm[1].Text != "Tôi nhận" || gm[1].FromID != f.counsellor.ID {
		t.Fatalf("group messages: %+v", gm)
	}
	f.post(t, "press", map[string]any{"user_id": f.counsellor.ID, "chat_id": f.group.ID, "message_id": gm[0].ID, "data": "case:take:1"}, http.StatusOK)
	if ok, err := b.CloseForumTopic(ctx, &bot.CloseForumTopicParams{ChatID: f.group.ID, MessageThreadID: topic.MessageThreadID}); err != nil || !ok {
		t.Fatal(err)
	}
	if st := f.state(t); !st.Group.Topics[0].Closed {
		t.Fatal("closed topic not shown")
	}
	f.post(t, "send", map[string]any{"user_id": f.counsellor.ID, "chat_id": f.group.ID, "thread_id": 999, "text": "x"}, http.StatusBadRequest)
	f.post(t, "send", map[string]any{"user_id": f.counsellor.ID, "chat_id": u.ID, "text": "x"}, http.StatusBadRequest)
	f.post(t, "send", map[string]any{"user_id": f.counsellor.ID, "chat_id": -42, "text": "x"}, http.StatusBadRequest)
	f.post(t, "send", map[string]any{"user_id": u.ID, "thread_id": 3, "text": "x"}, http.StatusBadRequest)

	// One chat's messages.
	status, _, raw := pgDo(t, http.MethodGet, s.URL()+"/playground/api/chat?id="+strconv.FormatInt(f.group.ID, 10), "", nil)
	if status != http.StatusOK || !bytes.Contains(raw, []byte("Tôi nhận")) {
		t.Fatalf("chat: %d %s", status, raw)
	}
	for _, q := range []string{"", "abc", "12345"} {
		if status, _, _ := pgDo(t, http.MethodGet, s.URL()+"/playground/api/chat?id="+q, "", nil); status != http.StatusBadRequest {
			t.Errorf("chat?id=%s = %d, want 400", q, status)
		}
	}

	// The clock hook.
	f.post(t, "clock", map[string]any{"seconds": 86400}, http.StatusOK)
	f.post(t, "clock", map[string]any{"seconds": 0}, http.StatusBadRequest)
	f.post(t, "clock", map[string]any{"seconds": int64(1) << 62}, http.StatusBadRequest)
	f.mu.Lock()
	if !slices.Equal(f.clock, []time.Duration{24 * time.Hour}) {
		t.Errorf("clock calls = %v", f.clock)
	}
	f.mu.Unlock()

	// Hiding and starting over.
	f.post(t, "hide", map[string]any{"user_id": f.counsellor.ID}, http.StatusBadRequest)
	u2 := newReturnee(t, f)
	out := f.post(t, "reset", map[string]any{}, http.StatusOK)
	fresh := int64(out["user"].(map[string]any)["id"].(float64))
	st = f.state(t)
	if _, ok := st.user(u.ID); ok {
		t.Error("reset must hide earlier returnees")
	}
	if _, ok := st.user(u2.ID); ok {
		t.Error("reset must hide earlier returnees")
	}
	if got, ok := st.user(fresh); !ok || got.Persona || len(st.Users) != 3 {
		t.Fatalf("after reset: %+v", st.Users)
	}
	// Hidden users still exist for the API (a test may act as them).
	f.post(t, "send", map[string]any{"user_id": u.ID, "text": "vẫn ở đây"}, http.StatusOK)
	f.post(t, "hide", map[string]any{"user_id": fresh}, http.StatusOK)
	if len(f.state(t).Users) != 2 {
		t.Fatal("hide did not hide")
	}
}

func TestPlaygroundAPIRejectsBadInput(t *testing.T) {
	f := newPlaygroundFixture(t, false)
	u := newReturnee(t, f)
	long := strings.Repeat("a", 4097)
	for _, c := range []struct {
		action string
		body   any
		want   int
	}{
		{"send", map[string]any{"user_id": 1, "text": "x"}, 400},
		{"send", map[string]any{"user_id": -5, "text": "x"}, 400},
		{"send", map[string]any{"user_id": u.ID, "text": "   "}, 400},
		{"send", map[string]any{"user_id": u.ID, "text": long}, 400},
		{"send", map[string]any{"user_id": u.ID, "text": "x", "extra": 1}, 400},
		{"send", map[string]any{"user_id": "abc", "text": "x"}, 400},
		{"send", []int{1, 2}, 400},
		{"press", map[string]any{"user_id": u.ID, "chat_id": 77, "message_id": 1, "data": "x"}, 400},
		{"contact", map[string]any{"user_id": u.ID, "phone": "call me"}, 400},
		{"contact", map[string]any{"user_id": 99, "phone": "0912345678"}, 400},
		{"media", map[string]any{"user_id": u.ID, "kind": "video"}, 400},
		{"media", map[string]any{"user_id": u.ID, "kind": "location", "latitude": 91, "longitude": 0}, 400},
		{"media", map[string]any{"user_id": u.ID, "kind": "location", "latitude": 21}, 400},
		{"media", map[string]any{"user_id": u.ID, "kind": "document", "file_name": "../../etc/passwd"}, 400},
		{"media", map[string]any{"user_id": u.ID, "kind": "photo", "caption": strings.Repeat("á", 1025)}, 400},
		{"block", map[string]any{"user_id": u.ID}, 400},
		{"users", map[string]any{"lang": "fr"}, 400},
		{"users", map[string]any{"first_name": strings.Repeat("x", 65)}, 400},
		{"users", map[string]any{"first_name": "a\x00b"}, 400},
		{"hide", map[string]any{"user_id": 123}, 400},
		{"clock", map[string]any{"seconds": 60}, 404}, // no hook configured
	} {
		f.post(t, c.action, c.body, c.want)
	}

	base := f.s.URL() + "/playground/api/"
	for _, c := range []struct {
		name, method, path, ctype, body string
		want                            int
	}{
		{"wrong content type", "POST", "send", "text/plain", `{"user_id":1}`, 415},
		{"no content type", "POST", "send", "", `{}`, 415},
		{"empty body", "POST", "send", "application/json", ``, 400},
		{"broken JSON", "POST", "send", "application/json", `{"user_id":`, 400},
		{"two objects", "POST", "users", "application/json", `{} {}`, 400},
		{"huge body", "POST", "send", "application/json", `{"text":"` + strings.Repeat("x", 70<<10) + `"}`, 413},
		{"GET an action", "GET", "send", "", ``, 405},
		{"POST state", "POST", "state", "application/json", `{}`, 405},
		{"unknown action", "POST", "explode", "application/json", `{}`, 404},
		{"events by POST", "POST", "/playground/events", "application/json", `{}`, 405},
	} {
		url := base + c.path
		if strings.HasPrefix(c.path, "/") {
			url = f.s.URL() + c.path
		}
		status, _, raw := pgDo(t, c.method, url, c.ctype, strings.NewReader(c.body))
		if status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, status, raw, c.want)
			continue
		}
		var e struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(raw, &e); err != nil || e.OK || e.Error == "" {
			t.Errorf("%s: error answer %s", c.name, raw)
		}
	}
	// The server is still fine.
	if st := f.state(t); len(st.Users) != 3 {
		t.Fatalf("users after bad input: %+v", st.Users)
	}
}

func TestPlaygroundClockHookError(t *testing.T) {
	s := newServer(t)
	mount(s, Options{AdvanceClock: func(time.Duration) error { return errors.New("no clock here") }})
	f := &pgFixture{s: s}
	out := f.post(t, "clock", map[string]any{"seconds": 3600}, http.StatusInternalServerError)
	if !strings.Contains(out["error"].(string), "no clock here") {
		t.Fatalf("error = %v", out)
	}
}

// sseReader reads events from the playground's stream.
type sseReader struct {
	t      *testing.T
	resp   *http.Response
	events chan sseEvent
}

type sseEvent struct {
	name    string // "" for comments
	data    string
	comment string
}

func openEvents(t *testing.T, ctx context.Context, s *botapitest.Server) *sseReader {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/playground/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r := &sseReader{t: t, resp: resp, events: make(chan sseEvent, 100)}
	go func() {
		defer close(r.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					r.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.comment = strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return r
}

// next returns the next event matching pred, skipping others.
func (r *sseReader) next(pred func(sseEvent) bool) sseEvent {
	r.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				r.t.Fatal("event stream ended")
			}
			if pred(ev) {
				return ev
			}
		case <-timeout:
			r.t.Fatal("no matching event within 5s")
		}
	}
}

func named(name string) func(sseEvent) bool {
	return func(ev sseEvent) bool { return ev.name == name }
}

func TestPlaygroundEvents(t *testing.T) {
	f := newPlaygroundFixture(t, false)
	s := f.s
	f.pg.keepAlive = 30 * time.Millisecond
	ctx := ctxT(t)
	ev := openEvents(t, ctx, s)
	ev.next(func(e sseEvent) bool { return e.comment == "connected" })

	u := newReturnee(t, f)
	meta := ev.next(named("meta"))
	var m webMeta
	if err := json.Unmarshal([]byte(meta.data), &m); err != nil || len(m.Users) != 3 || m.Users[0].ID != u.ID {
		t.Fatalf("meta after new user: %v %s", err, meta.data)
	}

	f.post(t, "send", map[string]any{"user_id": u.ID, "text": "xin chào"}, http.StatusOK)
	type msgEvent struct {
		Type    string     `json:"type"`
		Message webMessage `json:"message"`
	}
	var got msgEvent
	e := ev.next(named("message"))
	if err := json.Unmarshal([]byte(e.data), &got); err != nil || got.Type != "message" || got.Message.Text != "xin chào" ||
		got.Message.ChatID != u.ID || got.Message.FromBot || got.Message.FromName != u.FirstName {
		t.Fatalf("message event: %v %s", err, e.data)
	}

	b := newBot(t, s)
	sent, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: u.ID, Text: "<b>Chào</b>", ParseMode: models.ParseModeHTML,
		ReplyMarkup: botapitest.InlineKeyboard(&models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "OK", CallbackData: "ok"}}}})})
	if err != nil {
		t.Fatal(err)
	}
	e, got = ev.next(named("message")), msgEvent{}
	if err := json.Unmarshal([]byte(e.data), &got); err != nil || !got.Message.FromBot || got.Message.Text != "Chào" ||
		len(got.Message.Entities) != 1 || got.Message.Entities[0].Type != models.MessageEntityTypeBold || len(got.Message.Inline) != 1 {
		t.Fatalf("bot message event: %v %s", err, e.data)
	}
	if _, err := b.EditMessageText(ctx, &bot.EditMessageTextParams{ChatID: u.ID, MessageID: sent.ID, Text: "Đã chọn"}); err != nil {
		t.Fatal(err)
	}
	e, got = ev.next(named("edited")), msgEvent{}
	if err := json.Unmarshal([]byte(e.data), &got); err != nil || got.Message.ID != sent.ID || got.Message.Edited != 1 || got.Message.Text != "Đã chọn" || got.Message.Inline != nil {
		t.Fatalf("edited event: %v %s", err, e.data)
	}

	// Topic changes and blocking come as meta events.
	topic := s.NewTopic(f.group.ID, "Khóa học · "+u.FirstName)
	e, m = ev.next(named("meta")), webMeta{}
	if err := json.Unmarshal([]byte(e.data), &m); err != nil || m.Group == nil || len(m.Group.Topics) != 1 || m.Group.Topics[0].ThreadID != topic.ThreadID {
		t.Fatalf("meta after topic: %v %s", err, e.data)
	}
	f.post(t, "block", map[string]any{"user_id": u.ID, "blocked": true}, http.StatusOK)
	e, m = ev.next(named("meta")), webMeta{}
	if err := json.Unmarshal([]byte(e.data), &m); err != nil || !m.Users[0].Blocked {
		t.Fatalf("meta after block: %v %s", err, e.data)
	}

	ev.next(func(e sseEvent) bool { return e.comment == "keep-alive" })
}

func TestPlaygroundEventsEnd(t *testing.T) {
	t.Run("server closes", func(t *testing.T) {
		s := botapitest.New()
		mount(s, Options{})
		ev := openEvents(t, context.Background(), s)
		ev.next(func(e sseEvent) bool { return e.comment == "connected" })
		done := make(chan struct{})
		go func() { s.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatal("Close hangs on an open event stream")
		}
		for range ev.events { // the stream ends
		}
	})
	t.Run("client goes away", func(t *testing.T) {
		s := newServer(t)
		pg := mount(s, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		ev := openEvents(t, ctx, s)
		ev.next(func(e sseEvent) bool { return e.comment == "connected" })
		waitSubs := func(want int) {
			t.Helper()
			deadline := time.Now().Add(3 * time.Second)
			for {
				n := int(pg.streams.Load())
				if n == want {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d subscribers, want %d", n, want)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		waitSubs(1)
		cancel()
		waitSubs(0) // the handler returned
	})
}
