package webchat

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"reentrybot/channel"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

const (
	sessionCookie = "wc"     // the session token
	preCookie     = "wc_pre" // the token of the forms before a session (start, continue)
	maxForm       = 16 << 10 // a POST body; a message is far smaller
	maxText       = 2000     // characters of one message
	historySize   = 200      // messages a page load shows
	streamFor     = 5 * time.Minute
	maxFailures   = 5 // wrong phone numbers for a code before it locks
	lockFor       = time.Hour
)

var communeRe = regexp.MustCompile(`^[0-9]{5}$`)

// Handler serves /chat and everything under it.
func (c *Channel) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Path, c.page)
	mux.HandleFunc("POST "+Path+"/start", c.start)
	mux.HandleFunc("POST "+Path+"/continue", c.continueOn)
	mux.HandleFunc("POST "+Path+"/send", c.send)
	mux.HandleFunc("POST "+Path+"/end", c.end)
	mux.HandleFunc("POST "+Path+"/push", c.subscribe)
	mux.HandleFunc("GET "+Path+"/events", c.events)
	mux.HandleFunc("GET "+Path+"/file/{id}", c.file)
	mux.HandleFunc("GET "+Path+"/s/{name}", c.static)
	mux.HandleFunc("GET "+Path+"/sw.js", c.static)
	return c.headers(mux)
}

// headers are every answer's: nothing from elsewhere may load, the page
// is framed only where allowed, and no address leaks in a Referer.
func (c *Channel) headers(next http.Handler) http.Handler {
	frame := "'none'"
	if len(c.opts.FrameAncestors) > 0 {
		frame = strings.Join(c.opts.FrameAncestors, " ")
	}
	csp := "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors " + frame
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin") // no-referrer would make the browser send "Origin: null" with the forms
		if len(c.opts.FrameAncestors) == 0 {
			h.Set("X-Frame-Options", "DENY")
		}
		if r.URL.Path != Path+"/sw.js" && !strings.HasPrefix(r.URL.Path, Path+"/s/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// secure reports whether the person reached us over HTTPS (directly, or
// through the proxy in front: deploy/Caddyfile).
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: Path, MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r),
		// Lax: the link from the poster's QR code or from Zalo is a
		// top-level navigation and finds the session; another site's
		// POST does not carry it.
		SameSite: http.SameSiteLaxMode,
	})
}

// sameOrigin refuses a request another site made the browser send.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// session is the request's live session, if any.
func (c *Channel) session(r *http.Request) (store.WebSession, []byte, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || len(ck.Value) != 43 {
		return store.WebSession{}, nil, false
	}
	h := hashToken(ck.Value)
	s, ok, err := c.db.WebSessionByToken(r.Context(), h)
	if err != nil {
		c.log.Warn("reading a session", "err", err)
	}
	return s, h, ok && err == nil
}

// lang is the page's language: the browser's when it prefers English,
// else Vietnamese.
func lang(r *http.Request) string {
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	if strings.HasPrefix(al, "en") {
		return "en"
	}
	return "vi"
}

// refuse answers politely: the page's script shows msg; a form post
// without script gets the page with it.
func (c *Channel) refuse(w http.ResponseWriter, r *http.Request, status int, key string) {
	msg := text(lang(r), key)
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, "notice", map[string]any{"T": texts[lang(r)], "Lang": lang(r), "Message": msg})
}

func wantsJSON(r *http.Request) bool {
	return r.Header.Get("X-Requested-With") == "fetch" || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// limit applies the abuse limits; false when it answered 429.
func (c *Channel) limit(w http.ResponseWriter, r *http.Request, ref string) bool {
	ok, wait := c.lim.allow(clientAddr(r), ref)
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	c.refuse(w, r, http.StatusTooManyRequests, "slow_down")
	return false
}

// form reads a POST form of at most maxForm bytes; false when it answered.
func (c *Channel) form(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			c.refuse(w, r, http.StatusRequestEntityTooLarge, "too_long")
		} else {
			c.refuse(w, r, http.StatusBadRequest, "bad_request")
		}
		return false
	}
	return true
}

// checkPost is every POST's guard: same origin, then the form's token
// equal to want (the session's, or the pre-session cookie's).
func (c *Channel) checkPost(w http.ResponseWriter, r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if !sameOrigin(r) || want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		c.log.Debug("refused a post", "path", r.URL.Path, "origin", r.Header.Get("Origin"), "site", r.Header.Get("Sec-Fetch-Site"),
			"token", got != "", "expected", want != "")
		c.refuse(w, r, http.StatusForbidden, "forbidden")
		return false
	}
	return true
}

// page is the landing page (start, or continue with a code) without a
// session, and the chat with one.
func (c *Channel) page(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	data := map[string]any{"T": texts[l], "Lang": l}
	s, _, ok := c.session(r)
	if !ok {
		pre := ""
		if ck, err := r.Cookie(preCookie); err == nil && len(ck.Value) == 32 {
			pre = ck.Value
		} else {
			pre = randomText(tokenAlphabet, 32)
			setCookie(w, r, preCookie, pre, 24*3600)
		}
		commune := r.URL.Query().Get("c")
		if !communeRe.MatchString(commune) {
			commune = ""
		}
		data["CSRF"], data["Commune"] = pre, commune
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := pages.ExecuteTemplate(w, "landing", data); err != nil {
			c.log.Warn("landing page", "err", err)
		}
		return
	}
	msgs, err := c.db.WebMessagesAfter(r.Context(), s.Ref, 0, historySize)
	if err != nil {
		c.log.Error("reading history", "err", err)
		c.refuse(w, r, http.StatusServiceUnavailable, "try_later")
		return
	}
	views := make([]view, 0, len(msgs))
	for _, m := range msgs {
		views = append(views, toView(m))
	}
	// The newest buttons are offered until the person writes or presses:
	// a counsellor's answer after them (no buttons) leaves them.
	for i := len(views) - 1; i >= 0 && !views[i].Mine; i-- {
		if len(views[i].Buttons) > 0 {
			views[i].Current = true
			break
		}
	}
	var last int64
	if len(msgs) > 0 {
		last = msgs[len(msgs)-1].ID
	}
	data["CSRF"], data["Code"], data["Messages"], data["Last"], data["VAPID"] = s.CSRF, formatCode(s.Code), views, last, c.vapidPublic
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, "chat", data); err != nil {
		c.log.Warn("chat page", "err", err)
	}
}

// view is a message as the page shows it and the stream sends it.
type view struct {
	ID      int64          `json:"id"`
	Mine    bool           `json:"mine"`
	Text    string         `json:"text"`
	Buttons [][]bodyButton `json:"buttons,omitempty"`
	File    string         `json:"file,omitempty"` // its download address
	Name    string         `json:"name,omitempty"` // the file's name
	Current bool           `json:"-"`
}

func toView(m store.WebMessage) view {
	var b body
	_ = json.Unmarshal(m.Body, &b)
	v := view{ID: m.ID, Mine: m.Mine, Text: b.Text, Buttons: b.Buttons}
	if b.File != nil && m.FileName.Valid {
		v.File, v.Name = Path+"/file/"+strconv.FormatInt(m.ID, 10), m.FileName.String
	}
	return v
}

func formatCode(code string) string {
	if len(code) == 8 {
		return code[:4] + "-" + code[4:]
	}
	return code
}

// start makes a new person and session, and sends the person's first
// event: "/start c_CODE" when the page was opened from a commune's
// poster, else "/start".
func (c *Channel) start(w http.ResponseWriter, r *http.Request) {
	if !c.form(w, r) || !c.checkPost(w, r, preToken(r)) || !c.limit(w, r, "") {
		return
	}
	var (
		ref, code, token, csrf string
		err                    error
	)
	for range 5 { // a code already taken: draw again
		ref, code = randomText(tokenAlphabet, 22), randomText(codeAlphabet, 8)
		token, csrf = randomText(tokenAlphabet, 43), randomText(tokenAlphabet, 32)
		if err = c.db.NewWebPerson(r.Context(), ref, code, hashToken(token), csrf); !store.IsUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		c.log.Error("new web chat person", "err", err)
		c.refuse(w, r, http.StatusServiceUnavailable, "try_later")
		return
	}
	first := "/start"
	if cc := r.PostFormValue("c"); communeRe.MatchString(cc) {
		first = "/start c_" + cc
	}
	if err := c.receive(r.Context(), r, ref, channel.Event{Kind: channel.EvText, Text: first}); err != nil {
		c.log.Error("first event", "err", err)
	}
	setCookie(w, r, sessionCookie, token, 180*24*3600)
	setCookie(w, r, preCookie, "", -1)
	http.Redirect(w, r, Path, http.StatusSeeOther)
}

func preToken(r *http.Request) string {
	if ck, err := r.Cookie(preCookie); err == nil && len(ck.Value) == 32 {
		return ck.Value
	}
	return ""
}

// receive hands an event of the person to the bot.
func (c *Channel) receive(ctx context.Context, r *http.Request, ref string, ev channel.Event) error {
	if c.bot == nil {
		return errors.New("webchat: no bot attached")
	}
	ev.ID = "w" + randomText(tokenAlphabet, 22)
	ev.From = channel.Address{Channel: Name, Ref: ref}
	ev.LangHint = i18n.Normalize(lang(r))
	ev.At = c.db.Now()
	return c.bot.Receive(ctx, ev)
}

var codeClean = strings.NewReplacer("-", "", " ", "", ".", "")

// continueOn opens the chat of a code on this phone, when the phone
// number given is the one the person gave the bot.
func (c *Channel) continueOn(w http.ResponseWriter, r *http.Request) {
	if !c.form(w, r) || !c.checkPost(w, r, preToken(r)) || !c.limit(w, r, "") {
		return
	}
	code := strings.ToUpper(codeClean.Replace(r.PostFormValue("code")))
	phone, err := flows.NormalizePhone(r.PostFormValue("phone"))
	if err != nil || len(code) != 8 {
		c.refuse(w, r, http.StatusForbidden, "no_match")
		return
	}
	token, csrf := randomText(tokenAlphabet, 43), randomText(tokenAlphabet, 32)
	_, err = c.db.WebContinue(r.Context(), code, phone, hashToken(token), csrf, maxFailures, lockFor)
	switch {
	case errors.Is(err, store.ErrWebCodeLocked):
		c.refuse(w, r, http.StatusTooManyRequests, "locked")
		return
	case errors.Is(err, store.ErrWebNoMatch):
		c.refuse(w, r, http.StatusForbidden, "no_match")
		return
	case err != nil:
		c.log.Error("continue", "err", err)
		c.refuse(w, r, http.StatusServiceUnavailable, "try_later")
		return
	}
	setCookie(w, r, sessionCookie, token, 180*24*3600)
	setCookie(w, r, preCookie, "", -1)
	http.Redirect(w, r, Path, http.StatusSeeOther)
}

// send takes what the person wrote or pressed.
func (c *Channel) send(w http.ResponseWriter, r *http.Request) {
	s, _, ok := c.session(r)
	if !ok {
		c.refuse(w, r, http.StatusUnauthorized, "session_over")
		return
	}
	if !c.form(w, r) || !c.checkPost(w, r, s.CSRF) || !c.limit(w, r, s.Ref) {
		return
	}
	ev := channel.Event{Kind: channel.EvText}
	shown := ""
	if data := r.PostFormValue("b"); data != "" {
		if _, _, ok := channel.ParseButtonData(data); !ok || len(data) > 200 {
			c.refuse(w, r, http.StatusBadRequest, "bad_request")
			return
		}
		ev.Kind, ev.Data = channel.EvButton, data
		shown = c.buttonLabel(r.Context(), s.Ref, data)
	} else {
		t := strings.TrimSpace(strings.ToValidUTF8(r.PostFormValue("text"), "\uFFFD"))
		switch {
		case t == "":
			c.done(w, r)
			return
		case utf8.RuneCountInString(t) > maxText:
			c.refuse(w, r, http.StatusRequestEntityTooLarge, "too_long")
			return
		}
		ev.Text, shown = t, t
	}
	raw, _ := json.Marshal(body{Text: shown})
	if _, err := c.db.AddWebMessage(r.Context(), s.Ref, true, raw, "", "", nil); err != nil {
		c.log.Error("keeping the person's message", "err", err)
		c.refuse(w, r, http.StatusServiceUnavailable, "try_later")
		return
	}
	c.hub.wake(s.Ref)
	if err := c.receive(r.Context(), r, s.Ref, ev); err != nil {
		c.log.Error("receiving", "err", err)
		c.refuse(w, r, http.StatusServiceUnavailable, "try_later")
		return
	}
	c.done(w, r)
}

// done answers a POST: nothing for the script (the stream brings the
// answer), the page again for a plain form.
func (c *Channel) done(w http.ResponseWriter, r *http.Request) {
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, Path+"#end", http.StatusSeeOther)
}

// buttonLabel is the label of the button with that data among the
// person's latest messages, for their side of the history.
func (c *Channel) buttonLabel(ctx context.Context, ref, data string) string {
	msgs, err := c.db.WebMessagesAfter(ctx, ref, 0, 10)
	if err == nil {
		for i := len(msgs) - 1; i >= 0; i-- {
			var b body
			_ = json.Unmarshal(msgs[i].Body, &b)
			for _, row := range b.Buttons {
				for _, btn := range row {
					if btn.Data == data {
						return btn.Label
					}
				}
			}
		}
	}
	return "✓"
}

// end ends the session on this phone: the cookie no longer opens the
// chat, and this browser's notifications stop.
func (c *Channel) end(w http.ResponseWriter, r *http.Request) {
	s, h, ok := c.session(r)
	if !ok {
		http.Redirect(w, r, Path, http.StatusSeeOther)
		return
	}
	if !c.form(w, r) || !c.checkPost(w, r, s.CSRF) {
		return
	}
	if err := c.db.EndWebSession(r.Context(), h); err != nil {
		c.log.Error("ending a session", "err", err)
		c.refuse(w, r, http.StatusServiceUnavailable, "try_later")
		return
	}
	if ep := r.PostFormValue("endpoint"); ep != "" {
		if err := c.db.DropWebPush(r.Context(), ep); err != nil {
			c.log.Warn("dropping a subscription", "err", err)
		}
	}
	setCookie(w, r, sessionCookie, "", -1)
	c.done(w, r)
}

// subscribe keeps the browser's push subscription.
func (c *Channel) subscribe(w http.ResponseWriter, r *http.Request) {
	s, _, ok := c.session(r)
	if !ok {
		c.refuse(w, r, http.StatusUnauthorized, "session_over")
		return
	}
	if !c.checkPost(w, r, s.CSRF) || !c.limit(w, r, s.Ref) {
		return
	}
	var sub struct {
		Endpoint string `json:"endpoint"`
		Keys     struct {
			P256dh string `json:"p256dh"`
			Auth   string `json:"auth"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxForm)).Decode(&sub); err != nil {
		c.refuse(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	p := store.WebPush{Endpoint: sub.Endpoint, P256dh: sub.Keys.P256dh, Auth: sub.Keys.Auth}
	if !c.validSubscription(p) {
		c.refuse(w, r, http.StatusBadRequest, "bad_request")
		return
	}
	if err := c.db.SaveWebPush(r.Context(), s.Ref, p); err != nil {
		c.log.Error("saving a subscription", "err", err)
		c.refuse(w, r, http.StatusServiceUnavailable, "try_later")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// events streams the person's messages after the last the page saw
// (Last-Event-ID, or ?after=), as server-sent events; with ?poll=1 it
// answers once, as JSON, when there is something or after 25 s (a
// browser without EventSource).
func (c *Channel) events(w http.ResponseWriter, r *http.Request) {
	s, _, ok := c.session(r)
	if !ok {
		c.refuse(w, r, http.StatusUnauthorized, "session_over")
		return
	}
	after, _ := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64)
	if a, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64); err == nil && a > after {
		after = a
	}
	after = max(after, 0)
	wake, unsub := c.hub.subscribe(s.Ref)
	defer unsub()
	poll := r.URL.Query().Get("poll") == "1"
	if !poll {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("X-Accel-Buffering", "no")
		fmt.Fprint(w, "retry: 3000\n\n")
	}
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	until := time.Now().Add(streamFor)
	if poll {
		wait := 25
		if n, err := strconv.Atoi(r.URL.Query().Get("wait")); err == nil && n >= 0 && n < wait {
			wait = n
		}
		until = time.Now().Add(time.Duration(wait) * time.Second)
	}
	for {
		msgs, err := c.db.WebMessagesAfter(r.Context(), s.Ref, after, 100)
		if err != nil {
			return
		}
		if poll && (len(msgs) > 0 || time.Now().After(until)) {
			views := make([]view, 0, len(msgs))
			for _, m := range msgs {
				views = append(views, toView(m))
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(views)
			return
		}
		for _, m := range msgs {
			raw, _ := json.Marshal(toView(m))
			fmt.Fprintf(w, "id: %d\ndata: %s\n\n", m.ID, raw)
			after = m.ID
		}
		if len(msgs) > 0 {
			if err := rc.Flush(); err != nil {
				return
			}
			if len(msgs) == 100 {
				continue
			}
		}
		if time.Now().After(until) {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-c.closing:
			return
		case <-wake:
		case <-time.After(min(15*time.Second, time.Until(until))):
			// Another process may have written (no wake here), and a
			// proxy must see the stream alive.
			if !poll {
				fmt.Fprint(w, ": ping\n\n")
				if err := rc.Flush(); err != nil {
					return
				}
			}
		}
	}
}

// file downloads a file of the person's (the /mydata export).
func (c *Channel) file(w http.ResponseWriter, r *http.Request) {
	s, _, ok := c.session(r)
	if !ok {
		c.refuse(w, r, http.StatusUnauthorized, "session_over")
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	name, mime, data, ok, err := c.db.WebFile(r.Context(), s.Ref, id)
	if err != nil || !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime)
	w.Header().Set("Content-Disposition", "attachment; filename=\""+safeName(name)+"\"")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

func safeName(n string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, n)
}
