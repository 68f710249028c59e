package webchat_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// noRedirect is a client that shows each answer as it is.
func noRedirect(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// The guards of the page, on one running service: cookie flags, forged
// posts, sizes, HTML shown as text, the polite throttle, continuing on
// another phone, the /mydata download and ending the session.
func TestGuards(t *testing.T) {
	e := start(t, nil)

	t.Run("cookie flags", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			proto  string
			secure bool
		}{{"plain HTTP", "", false}, {"behind HTTPS", "https", true}} {
			c := noRedirect(e.client())
			req, _ := http.NewRequest(http.MethodGet, e.base+"/chat", nil)
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pre := cookieNamed(resp, "wc_pre")
			if pre == nil || !pre.HttpOnly || pre.Secure != tc.secure || pre.SameSite != http.SameSiteLaxMode || pre.Path != "/chat" {
				t.Errorf("%s: landing cookie %+v", tc.name, pre)
			}
			form := url.Values{"csrf": {csrfRe.FindStringSubmatch(string(page))[1]}}
			req, _ = http.NewRequest(http.MethodPost, e.base+"/chat/start", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", e.base)
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			req.AddCookie(pre)
			resp, err = c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			s := cookieNamed(resp, "wc")
			if resp.StatusCode != http.StatusSeeOther || s == nil || !s.HttpOnly || s.Secure != tc.secure || s.SameSite != http.SameSiteLaxMode || s.MaxAge <= 0 {
				t.Errorf("%s: start answered %s, session cookie %+v", tc.name, resp.Status, s)
			}
			// The demo lets its playground frame the page: no other origin.
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors "+e.d.API.URL()) ||
				!strings.Contains(csp, "default-src 'self'") || resp.Header.Get("Referrer-Policy") == "" {
				t.Errorf("%s: headers %v", tc.name, resp.Header)
			}
		}
	})

	w := e.newPerson("07840")
	w.answer("the start")
	page := w.loadPage()
	if strings.Contains(page, "07840") {
		t.Errorf("the chat page names the commune (only the first event carries it)")
	}

	t.Run("forged posts refused", func(t *testing.T) {
		var before int
		_ = e.d.App.DB.X.Get(&before, `SELECT count(*) FROM inbox`)
		for _, tc := range []struct {
			name         string
			origin, site string
			csrf         string
			wantStatus   int
		}{
			{"another site's form", "https://evil.example", "cross-site", w.csrf, http.StatusForbidden},
			{"another origin, no fetch metadata", "https://evil.example", "", w.csrf, http.StatusForbidden},
			{"same site, other origin", "", "same-site", w.csrf, http.StatusForbidden},
			{"no token", e.base, "same-origin", "", http.StatusForbidden},
			{"wrong token", e.base, "same-origin", strings.Repeat("x", 32), http.StatusForbidden},
			{"the page itself", e.base, "same-origin", w.csrf, http.StatusNoContent},
		} {
			form := url.Values{"csrf": {tc.csrf}, "text": {"/help"}}
			req, _ := http.NewRequest(http.MethodPost, e.base+"/chat/send", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Requested-With", "fetch")
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			resp, err := w.c.Do(req) // the person's cookies: the browser sends them along
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("%s: %s, want %d", tc.name, resp.Status, tc.wantStatus)
			}
		}
		var after int
		_ = e.d.App.DB.X.Get(&after, `SELECT count(*) FROM inbox`)
		if after != before+1 {
			t.Errorf("%d events reached the bot, want only the page's own", after-before)
		}
	})

	t.Run("a 1 MB message refused politely", func(t *testing.T) {
		resp := w.post("/chat/send", url.Values{"csrf": {w.csrf}, "text": {strings.Repeat("a", 1<<20)}}, true)
		var j map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&j)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(j["error"], "dài quá") {
			t.Errorf("1 MB: %s %v", resp.Status, j)
		}
		resp = w.post("/chat/send", url.Values{"csrf": {w.csrf}, "text": {strings.Repeat("á", 2001)}}, false)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "dài quá") {
			t.Errorf("2001 characters without script: %s", resp.Status)
		}
	})

	t.Run("HTML shown as text", func(t *testing.T) {
		w.answer("/help")
		evil := `<script>alert(1)</script><b>Minh</b> & "co"`
		w.say(evil)
		page := w.loadPage()
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>Minh</b>") {
			t.Errorf("the page carries the person's HTML as markup")
		}
		if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Minh&lt;/b&gt; &amp; &#34;co&#34;") {
			t.Errorf("the person's text is not on the page as text")
		}
	})

	t.Run("the /mydata export downloads", func(t *testing.T) {
		w.choose("agree_all")
		got := w.say("/mydata")
		var file string
		for _, m := range got {
			if m.File != "" {
				file = m.File
			}
		}
		if file == "" || strings.Contains(file, w.csrf) {
			t.Fatalf("no file in the answer to /mydata: %+v", got)
		}
		resp, err := w.c.Get(e.base + file)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") || !json.Valid(b) {
			t.Errorf("download: %s %q, %d bytes", resp.Status, resp.Header.Get("Content-Disposition"), len(b))
		}
		resp, err = e.client().Get(e.base + file) // another browser
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("another browser downloads the person's file")
		}
	})

	t.Run("a code with wrong phone numbers locks", func(t *testing.T) {
		code := strings.TrimSpace(regexpCode.FindStringSubmatch(w.loadPage())[1])
		other := &web{e: e, c: e.client()}
		token := csrfRe.FindStringSubmatch(other.get("/chat"))[1]
		for i, want := range []int{403, 403, 403, 403, 403, 429, 429} {
			resp := other.post("/chat/continue", url.Values{"csrf": {token}, "code": {code}, "phone": {fmt.Sprintf("091234567%d", i)}}, false)
			if resp.StatusCode != want {
				t.Errorf("try %d: %s, want %d", i+1, resp.Status, want)
			}
		}
	})

	t.Run("push subscriptions only for the browsers' push services", func(t *testing.T) {
		p256 := strings.Repeat("B", 87)
		auth := strings.Repeat("a", 22)
		for _, tc := range []struct {
			name, endpoint, origin string
			want                   int
		}{
			{"Chrome's push service", "https://fcm.googleapis.com/fcm/send/abc", e.base, http.StatusNoContent},
			{"a local address", "http://127.0.0.1:9/x", e.base, http.StatusBadRequest},
			{"another host", "https://evil.example/push", e.base, http.StatusBadRequest},
			{"a look-alike host", "https://fcm.googleapis.com.evil.example/x", e.base, http.StatusBadRequest},
			{"from another site", "https://fcm.googleapis.com/fcm/send/def", "https://evil.example", http.StatusForbidden},
		} {
			body, _ := json.Marshal(map[string]any{"endpoint": tc.endpoint, "keys": map[string]string{"p256dh": p256, "auth": auth}})
			req, _ := http.NewRequest(http.MethodPost, e.base+"/chat/push", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", tc.origin)
			req.Header.Set("X-CSRF-Token", w.csrf)
			resp, err := w.c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("%s: %s, want %d", tc.name, resp.Status, tc.want)
			}
		}
		var n int
		if err := e.d.App.DB.X.Get(&n, `SELECT count(*) FROM webchat_push`); err != nil || n != 1 {
			t.Errorf("%d subscriptions stored (%v), want 1", n, err)
		}
	})

	// A page left open through the rest (its stream outlives the session).
	stream, err := w.c.Get(e.base + "/chat/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	go func() { _, _ = io.Copy(io.Discard, stream.Body) }()

	t.Run("1000 messages a minute from one address throttled politely", func(t *testing.T) {
		var ok, throttled int
		var retry string
		var polite string
		began := time.Now()
		for i := range 1000 {
			resp := w.post("/chat/send", url.Values{"csrf": {w.csrf}, "text": {fmt.Sprintf("flood %d", i)}}, true)
			switch resp.StatusCode {
			case http.StatusNoContent:
				ok++
			case http.StatusTooManyRequests:
				throttled++
				retry = resp.Header.Get("Retry-After")
				var j map[string]string
				_ = json.NewDecoder(resp.Body).Decode(&j)
				polite = j["error"]
			default:
				t.Fatalf("message %d: %s", i, resp.Status)
			}
		}
		elapsed := time.Since(began)
		// 60 a minute with a burst of 30 (less the ones sent above).
		if limit := 30 + int(elapsed.Minutes()*60) + 1; ok > limit || throttled < 1000-limit {
			t.Errorf("%d accepted, %d throttled in %s", ok, throttled, elapsed)
		}
		if retry == "" || !strings.Contains(polite, "đợi") {
			t.Errorf("throttled without Retry-After (%q) or a kind word (%q)", retry, polite)
		}
		// The flood spent the address's allowance too: new sessions from
		// the same address wait as well, but for what the allowance
		// (240 a minute, 4 a second) refilled while the flood ran, which a
		// loaded machine makes slow.
		started, refused := 0, 0
		for range 20 {
			other := &web{e: e, c: e.client()}
			m := csrfRe.FindStringSubmatch(other.get("/chat"))
			if m == nil { // the page itself refused
				refused++
				continue
			}
			if resp := other.post("/chat/start", url.Values{"csrf": {m[1]}}, false); resp.StatusCode == http.StatusTooManyRequests {
				refused++
			} else {
				started++
			}
		}
		if refill := int(time.Since(began).Seconds()*4) + 2; refused == 0 || started > refill {
			t.Errorf("new sessions from the flooding address: %d started, %d refused (refill allows %d)", started, refused, refill)
		}
		t.Logf("%d accepted, %d throttled in %s", ok, throttled, elapsed.Round(time.Millisecond))
	})

	t.Run("end the session on this phone", func(t *testing.T) {
		resp := w.post("/chat/end", url.Values{"csrf": {w.csrf}}, false)
		if resp.StatusCode != http.StatusOK { // followed to the landing page
			t.Fatalf("end: %s", resp.Status)
		}
		if page := w.get("/chat"); strings.Contains(page, `data-testid="my-code"`) || !strings.Contains(page, `data-testid="start"`) {
			t.Errorf("after the end the page still opens the chat")
		}
		resp, err := w.c.Get(e.base + "/chat/events?poll=1&wait=0")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("events after the end: %s", resp.Status)
		}
	})
	t.Run("an open page does not hold the server's stop", func(t *testing.T) {
		began := time.Now()
		if err := e.d.App.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if took := time.Since(began); took > 10*time.Second {
			t.Errorf("the server took %s to stop with a page open", took)
		}
	})
}

var regexpCode = regexp.MustCompile(`data-testid="my-code">([^<]+)<`)
