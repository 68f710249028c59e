// Package zalotest is a strict local fake of the Zalo APIs the bot uses:
// the Official Account Open API (consultation messages with buttons and
// the share-phone card, the follower's display name), ZNS template
// messages, OAuth v4 with PKCE and single-use rotating refresh tokens,
// and the webhook, signed as Zalo signs it, with duplicates, retries and
// reordering. It checks what Zalo checks (tokens, lengths, buttons, file
// types, the reply window and ZNS quiet hours on its own clock) and
// answers as Zalo does: HTTP 200 with a non-zero "error" in the body.
// It imports no project package.
package zalotest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Zalo's limits and rules as the fake applies them.
const (
	MaxText        = 2000
	MaxButtons     = 5
	MaxButtonTitle = 100
	MaxPayload     = 1000
	MaxInfoTitle   = 100
	MaxInfoSub     = 500
	MaxZNSParam    = 400
	MaxFileBytes   = 5 << 20
	MaxImageBytes  = 1 << 20
	FreeWindow     = 48 * time.Hour
	MaxFreeReplies = 8
	AccessTTL      = 90000 * time.Second // 25 h, sent as the string "90000"
	RefreshTTL     = 90 * 24 * time.Hour
)

// Error codes the fake answers with (from integrators' observations; see
// the zalo package's client for how the bot reads them).
const (
	ErrBadParam       = -201
	ErrTextTooLong    = -210
	ErrUserUnfollowed = -213
	ErrBadToken       = -216
	ErrOutsideWindow  = -230
	ErrQuietHours     = -234
	ErrBadRefresh     = -14014
	ErrNoTemplate     = -1124
	ErrBadPhone       = -1108
)

// ZNS template tags: a transaction may go at any hour, the others only
// between QuietEnd and QuietStart in Vietnam.
const (
	TagTransaction = 1
	TagCare        = 2
	TagPromotion   = 3
)

// Options configure a fake OA.
type Options struct {
	AppID, AppSecret string // the Zalo app (OAuth)
	OAID, OASecret   string // the OA and its secret key (webhook signatures)
	// Templates are the approved ZNS templates: id → tag.
	Templates map[string]int
	// Now is the fake's clock (window, expiry, quiet hours); the system's
	// when nil. Tests share the program's clock.Fake.
	Now func() time.Time
	// Echo posts oa_send_text echoes of the OA's messages to the webhook,
	// as Zalo does; they are not input and must change nothing.
	Echo bool
	// Retries is how often a failed webhook delivery is tried again
	// (Zalo: for hours, then it disables the webhook); RetryAfter the wait.
	Retries    int
	RetryAfter time.Duration
	// OnSend, when set, hears of each message the OA sent (after it is
	// recorded, outside the server's lock): the playground's and the
	// benchmark's way to wait for answers.
	OnSend func(userID string, m Message)
	// MediaTTL is how long a file a follower sent stays at its address
	// (the fake's clock); 7 days when zero (U: Zalo does not say; its
	// addresses are not meant to last).
	MediaTTL time.Duration
}

// Button is a button of a sent message, as the OA sent it.
type Button struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Payload any    `json:"payload"`
}

// Message is what the OA sent to a follower (or a phone, for ZNS).
type Message struct {
	ID         string
	Kind       string // "cs" or "zns"
	Text       string
	Buttons    []Button
	AskInfo    bool // the request_user_info card
	InfoTitle  string
	TemplateID string
	Data       map[string]string // ZNS template data
	// Attachment is the image or file the message carried (nil: none).
	Attachment *Upload
	At         time.Time
}

// Upload is a file the OA uploaded: Kind "image" (answered with an
// attachment_id) or "file" (answered with a token), as the bot named it,
// its size and the part's Content-Type.
type Upload struct {
	ID   string // the attachment_id or token issued
	Kind string
	Name string
	Size int
	MIME string
	// Expires: the fake keeps uploads 7 days (U: Zalo says images stay on
	// its servers "at most 7 days"; it says nothing of file tokens).
	Expires time.Time
}

// UploadTTL is how long an attachment_id or file token works on the fake.
const UploadTTL = 7 * 24 * time.Hour

// Call is one API call the fake answered.
type Call struct {
	Path  string
	Error int // Zalo's error code; 0 is success
	Desc  string
	At    time.Time
}

// Delivery is one webhook post and how the bot answered it.
type Delivery struct {
	Event   string
	Status  int
	Latency time.Duration
	Err     error
}

// User is a Zalo user as the OA sees them.
type User struct {
	ID        string
	Name      string
	Phone     string // 84…, what user_submit_info gives
	Following bool
	LastSeen  time.Time // last interaction (the window's start)
	Replies   int       // consultation messages since LastSeen
	Messages  []Message
}

type refreshState struct {
	family  string
	expires time.Time
	used    bool
}

// Server is the fake. Its URL serves every Zalo host the bot calls
// (openapi, oauth, business): the paths do not overlap.
type Server struct {
	URL string

	mu        sync.Mutex
	o         Options
	srv       *httptest.Server
	client    *http.Client
	seq       int
	access    map[string]time.Time // token → expiry
	accessFam map[string]string    // token → family
	refresh   map[string]*refreshState
	revoked   map[string]bool // families revoked after a reuse
	codes     map[string]string
	users     map[string]*User
	phones    map[string][]Message // ZNS to a phone of no known user
	calls     []Call
	webhook   string
	disabled  bool
	failures  int
	held      [][]byte
	holding   bool
	refreshes int
	reuses    int
	quiet     [2]int // allowed hours [from, to) for tags other than transaction
	deliv     []Delivery
	media     map[string]hosted // files followers sent, by path
	fetches   int
	uploads   map[string]Upload // attachment ids and file tokens issued
	upOrder   []string
}

// hosted is a file a follower sent, at an address of the fake's.
type hosted struct {
	mime    string
	data    []byte
	expires time.Time
}

var vn = mustZone()

func mustZone() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return l
}

// New starts a fake OA; Close stops it.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AppID == "" {
		o.AppID = "1234567890"
	}
	if o.AppSecret == "" {
		o.AppSecret = "app-secret"
	}
	if o.OAID == "" {
		o.OAID = "4321"
	}
	if o.OASecret == "" {
		o.OASecret = "oa-secret-key"
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = 100 * time.Millisecond
	}
	if o.MediaTTL == 0 {
		o.MediaTTL = 7 * 24 * time.Hour
	}
	s := &Server{
		o: o, access: map[string]time.Time{}, accessFam: map[string]string{}, refresh: map[string]*refreshState{},
		revoked: map[string]bool{}, codes: map[string]string{}, users: map[string]*User{}, phones: map[string][]Message{},
		media: map[string]hosted{}, uploads: map[string]Upload{},
		quiet: [2]int{6, 22},
		// A webhook that has not answered in 5 s has failed, as far as
		// Zalo cares (it wants 2 s; Deliveries records the latency).
		client: &http.Client{Timeout: 5 * time.Second},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v4/oa/access_token", s.token)
	mux.HandleFunc("GET /v4/oa/permission", s.permission)
	mux.HandleFunc("POST /v3.0/oa/message/cs", s.cs)
	mux.HandleFunc("POST /message/template", s.zns)
	mux.HandleFunc("GET /v3.0/oa/user/detail", s.userDetail)
	mux.HandleFunc("POST /v2.0/oa/upload/file", s.upload("file"))
	mux.HandleFunc("POST /v2.0/oa/upload/image", s.upload("image"))
	mux.HandleFunc("GET /media/{id}/{name}", s.serveMedia)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Options are the fake's settings (the ids and secrets the bot needs).
func (s *Server) Options() Options { return s.o }

// SetWebhook is where events are posted (the OA's webhook setting).
func (s *Server) SetWebhook(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook, s.disabled, s.failures = u, false, 0
}

// WebhookDisabled reports whether the fake gave up on the webhook after
// failed deliveries, as Zalo does.
func (s *Server) WebhookDisabled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disabled
}

// SetAllowedHours sets the hours (Vietnam time) in which non-transaction
// ZNS templates may go: [from, to).
func (s *Server) SetAllowedHours(from, to int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quiet = [2]int{from, to}
}

func (s *Server) id(prefix string) string {
	s.seq++
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + strconv.Itoa(s.seq) + hex.EncodeToString(b[:])
}

// IssueTokens mints a pair as if an admin had connected the OA (the
// demo's and tests' shortcut past the consent page).
func (s *Server) IssueTokens() (access, refresh string, accessExpires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mint(s.id("fam"))
}

func (s *Server) mint(family string) (string, string, time.Time) {
	now := s.o.Now()
	a, r := s.id("at"), s.id("rt")
	s.access[a], s.accessFam[a] = now.Add(AccessTTL), family
	s.refresh[r] = &refreshState{family: family, expires: now.Add(RefreshTTL)}
	return a, r, now.Add(AccessTTL)
}

// ExpireAccess ends the access tokens issued so far before their time
// (as when the OA is connected again elsewhere): the next call with one
// is refused with ErrBadToken; refresh tokens still work.
func (s *Server) ExpireAccess() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	for tok := range s.access {
		s.access[tok] = now
	}
}

// Refreshes counts successful refresh calls; Reuses counts refresh tokens
// presented a second time.
func (s *Server) Refreshes() (ok, reused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes, s.reuses
}

// Calls lists the API calls answered, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Deliveries lists webhook posts, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliv...)
}

// NewUser adds a Zalo user who does not follow the OA yet.
func (s *Server) NewUser(name string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: strconv.Itoa(7000000000 + len(s.users) + 1), Name: name}
	s.users[u.ID] = u
	return *u
}

// AddFollower adds a user who followed the OA before (no event is posted).
func (s *Server) AddFollower(name string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &User{ID: strconv.Itoa(7000000000 + len(s.users) + 1), Name: name, Following: true}
	s.users[u.ID] = u
	return *u
}

// SetPhone registers the user's Zalo phone number (84…), where ZNS
// messages to that number arrive.
func (s *Server) SetPhone(id, phone string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		u.Phone = phone
	}
}

// User returns a copy of a user and what the OA sent them.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	c := *u
	c.Messages = append([]Message(nil), u.Messages...)
	return c, true
}

// Users lists the users, in the order they were made.
func (s *Server) Users() []User {
	s.mu.Lock()
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	out := make([]User, 0, len(ids))
	for _, id := range ids {
		u, _ := s.User(id)
		out = append(out, u)
	}
	sortUsers(out)
	return out
}

func sortUsers(us []User) {
	for i := 1; i < len(us); i++ {
		for j := i; j > 0 && us[j].ID < us[j-1].ID; j-- {
			us[j], us[j-1] = us[j-1], us[j]
		}
	}
}

// Messages is what the OA sent to a user.
func (s *Server) Messages(id string) []Message {
	u, _ := s.User(id)
	return u.Messages
}

// PhoneMessages is what went by ZNS to a phone that is no user's.
func (s *Server) PhoneMessages(phone string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.phones[phone]...)
}

func (s *Server) record(path string, code int, desc string) {
	s.calls = append(s.calls, Call{Path: path, Error: code, Desc: desc, At: s.o.Now()})
}

// reply writes Zalo's answer: HTTP 200 with the error in the body.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, code int, desc string, data any) {
	s.record(r.URL.Path, code, desc)
	body := map[string]any{"error": code, "message": desc}
	if code == 0 {
		body["message"] = "Success"
		if data != nil {
			body["data"] = data
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// checkToken reads the access_token header; it reports the error to
// answer with, or 0.
func (s *Server) checkToken(r *http.Request) (int, string) {
	tok := r.Header.Get("access_token")
	exp, ok := s.access[tok]
	switch {
	case tok == "":
		return ErrBadToken, "access_token is missing"
	case !ok || s.revoked[s.accessFam[tok]]:
		return ErrBadToken, "Access token is invalid"
	case !s.o.Now().Before(exp):
		return ErrBadToken, "Access token has expired"
	}
	return 0, ""
}

// token is OAuth v4: the authorization code with its PKCE verifier, or a
// refresh token, which works once.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := r.ParseForm(); err != nil {
		s.reply(w, r, ErrBadParam, "bad form", nil)
		return
	}
	secret := r.Header.Get("secret_key")
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.o.AppSecret)) != 1 || r.PostForm.Get("app_id") != s.o.AppID {
		s.reply(w, r, -14002, "Invalid app_id or secret_key", nil)
		return
	}
	now := s.o.Now()
	var family string
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		challenge, ok := s.codes[r.PostForm.Get("code")]
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			s.reply(w, r, -14019, "Invalid code or code_verifier", nil)
			return
		}
		delete(s.codes, r.PostForm.Get("code"))
		family = s.id("fam")
	case "refresh_token":
		rt := s.refresh[r.PostForm.Get("refresh_token")]
		switch {
		case rt == nil:
			s.reply(w, r, ErrBadRefresh, "Invalid refresh token", nil)
			return
		case rt.used:
			// A second use means two holders: revoke the family, so
			// neither goes on with a token the other may have burnt.
			s.reuses++
			s.revoked[rt.family] = true
			s.reply(w, r, ErrBadRefresh, "Refresh token was already used", nil)
			return
		case s.revoked[rt.family]:
			s.reply(w, r, ErrBadRefresh, "Refresh token was revoked", nil)
			return
		case !now.Before(rt.expires):
			s.reply(w, r, ErrBadRefresh, "Refresh token has expired", nil)
			return
		}
		rt.used = true
		family = rt.family
		s.refreshes++
	default:
		s.reply(w, r, ErrBadParam, "unknown grant_type", nil)
		return
	}
	a, rt, _ := s.mint(family)
	s.record(r.URL.Path, 0, "")
	w.Header().Set("Content-Type", "application/json")
	// OAuth answers carry no "error" on success; expires_in is a string.
	_ = json.NewEncoder(w).Encode(map[string]string{
		"access_token": a, "refresh_token": rt,
		"expires_in": strconv.Itoa(int(AccessTTL / time.Second)), "refresh_token_expires_in": strconv.Itoa(int(RefreshTTL / time.Second)),
	})
}

// permission is the OA admin's consent page, approved at once: it
// redirects to redirect_uri with a code bound to the PKCE challenge.
func (s *Server) permission(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("app_id") != s.o.AppID || err != nil || redirect.Scheme == "" || len(q.Get("code_challenge")) < 43 {
		s.record(r.URL.Path, ErrBadParam, "bad permission request")
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	code := s.id("code")
	s.codes[code] = q.Get("code_challenge")
	v := redirect.Query()
	v.Set("code", code)
	v.Set("oa_id", s.o.OAID)
	v.Set("state", q.Get("state"))
	redirect.RawQuery = v.Encode()
	s.record(r.URL.Path, 0, "")
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

type csRequest struct {
	Recipient struct {
		UserID string `json:"user_id"`
	} `json:"recipient"`
	Message struct {
		Text       string `json:"text"`
		Attachment *struct {
			Type    string `json:"type"`
			Payload struct {
				TemplateType string   `json:"template_type"`
				Buttons      []Button `json:"buttons"`
				Elements     []struct {
					Title        string `json:"title"`
					Subtitle     string `json:"subtitle"`
					ImageURL     string `json:"image_url"`
					MediaType    string `json:"media_type"`
					AttachmentID string `json:"attachment_id"`
					URL          string `json:"url"`
				} `json:"elements"`
				Token string `json:"token"`
			} `json:"payload"`
		} `json:"attachment"`
	} `json:"message"`
}

// sending runs a send call: under the lock the token is checked, the JSON
// body read into req and decide run; the listener (OnSend) hears of what
// decide sent after the lock is released.
func (s *Server) sending(w http.ResponseWriter, r *http.Request, req any, decide func() (notify func())) {
	var notify func()
	func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if code, desc := s.checkToken(r); code != 0 {
			s.reply(w, r, code, desc, nil)
			return
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(req); err != nil {
			s.reply(w, r, ErrBadParam, "body is not JSON: "+err.Error(), nil)
			return
		}
		notify = decide()
	}()
	if notify != nil {
		notify()
	}
}

var buttonTypes = map[string]bool{"oa.query.hide": true, "oa.query.show": true, "oa.open.url": true, "oa.open.phone": true, "oa.open.sms": true}

// cs is a consultation message: free for 48 h after the user's last
// interaction, at most 8 in that time; refused otherwise.
func (s *Server) cs(w http.ResponseWriter, r *http.Request) {
	var req csRequest
	s.sending(w, r, &req, func() (notify func()) {
		u := s.users[req.Recipient.UserID]
		m := Message{Kind: "cs", Text: req.Message.Text, At: s.o.Now()}
		if code, desc := s.checkMessage(req, &m); code != 0 {
			s.reply(w, r, code, desc, nil)
			return nil
		}
		switch {
		case u == nil:
			s.reply(w, r, ErrBadParam, "user_id is invalid", nil)
			return nil
		case !u.Following:
			s.reply(w, r, ErrUserUnfollowed, "User has not followed the OA", nil)
			return nil
		case u.LastSeen.IsZero() || !m.At.Before(u.LastSeen.Add(FreeWindow)):
			s.reply(w, r, ErrOutsideWindow, "User has not interacted with the OA in the last 48 hours", nil)
			return nil
		case u.Replies >= MaxFreeReplies:
			s.reply(w, r, ErrOutsideWindow, "OA has sent the most consultation messages allowed since the user's last interaction", nil)
			return nil
		}
		u.Replies++
		m.ID = s.id("m")
		u.Messages = append(u.Messages, m)
		if f := s.o.OnSend; f != nil {
			notify = func() { f(u.ID, m) }
		}
		s.reply(w, r, 0, "", map[string]string{"message_id": m.ID, "user_id": u.ID})
		if s.o.Echo && s.webhook != "" {
			ev, msg := "oa_send_text", map[string]any{"msg_id": m.ID, "text": m.Text}
			if a := m.Attachment; a != nil {
				ev = "oa_send_" + a.Kind
				msg["attachments"] = []any{map[string]any{"type": a.Kind, "payload": map[string]string{"name": a.Name}}}
			}
			go s.deliver(s.event(ev, u.ID, msg, true), 1)
		}
		return notify
	})
}

func (s *Server) checkMessage(req csRequest, m *Message) (int, string) {
	n := utf8.RuneCountInString(req.Message.Text)
	if !utf8.ValidString(req.Message.Text) {
		return ErrBadParam, "text is not UTF-8"
	}
	if n > MaxText {
		return ErrTextTooLong, fmt.Sprintf("text of %d characters, at most %d", n, MaxText)
	}
	a := req.Message.Attachment
	if a == nil {
		if n == 0 {
			return ErrBadParam, "text is empty"
		}
		return 0, ""
	}
	if a.Type == "file" {
		// A file message is the file alone (Zalo's samples send no text
		// with it; the fake refuses one rather than drop it).
		if n > 0 {
			return ErrBadParam, "a file message carries no text"
		}
		up, code, desc := s.issued("file", a.Payload.Token)
		if code != 0 {
			return code, desc
		}
		m.Attachment = &up
		return 0, ""
	}
	if a.Type != "template" {
		return ErrBadParam, "attachment type " + a.Type + " is not supported here"
	}
	switch a.Payload.TemplateType {
	case "media":
		if len(a.Payload.Elements) != 1 {
			return ErrBadParam, "a media template needs one element"
		}
		e := a.Payload.Elements[0]
		switch {
		case e.MediaType != "image":
			return ErrBadParam, "media_type " + e.MediaType
		case e.AttachmentID == "" && e.URL != "":
			m.Attachment = &Upload{Kind: "image", Name: path.Base(e.URL)}
			return 0, ""
		}
		up, code, desc := s.issued("image", e.AttachmentID)
		if code != 0 {
			return code, desc
		}
		m.Attachment = &up
		return 0, ""
	case "request_user_info":
		if len(a.Payload.Elements) != 1 {
			return ErrBadParam, "request_user_info needs one element"
		}
		e := a.Payload.Elements[0]
		if t := utf8.RuneCountInString(e.Title); t == 0 || t > MaxInfoTitle {
			return ErrBadParam, fmt.Sprintf("element title of %d characters", t)
		}
		if utf8.RuneCountInString(e.Subtitle) > MaxInfoSub {
			return ErrBadParam, "element subtitle too long"
		}
		m.AskInfo, m.InfoTitle = true, e.Title
		if m.Text == "" {
			m.Text = e.Subtitle
		}
		return 0, ""
	case "", "button":
		bs := a.Payload.Buttons
		if len(bs) == 0 || len(bs) > MaxButtons {
			return ErrBadParam, fmt.Sprintf("%d buttons, 1 to %d allowed", len(bs), MaxButtons)
		}
		if n == 0 {
			return ErrBadParam, "a message with buttons needs a text"
		}
		for _, b := range bs {
			t := utf8.RuneCountInString(b.Title)
			p, _ := b.Payload.(string)
			switch {
			case t == 0 || t > MaxButtonTitle:
				return ErrBadParam, fmt.Sprintf("button title of %d characters: %q", t, b.Title)
			case !buttonTypes[b.Type]:
				return ErrBadParam, "button type " + b.Type
			case (b.Type == "oa.query.hide" || b.Type == "oa.query.show") && (p == "" || utf8.RuneCountInString(p) > MaxPayload):
				return ErrBadParam, "button payload must be 1 to 1000 characters"
			}
		}
		m.Buttons = bs
		return 0, ""
	}
	return ErrBadParam, "template_type " + a.Payload.TemplateType
}

type znsRequest struct {
	Phone      string            `json:"phone"`
	TemplateID string            `json:"template_id"`
	Data       map[string]string `json:"template_data"`
	TrackingID string            `json:"tracking_id"`
}

var phoneRE = regexp.MustCompile(`^84[35789][0-9]{8}$`)

// zns is a template message to a phone: the template must be approved,
// the phone in 84… form, each value short enough, and a template that is
// not a transaction goes only in the allowed hours.
func (s *Server) zns(w http.ResponseWriter, r *http.Request) {
	var req znsRequest
	s.sending(w, r, &req, func() (notify func()) {
		tag, ok := s.o.Templates[req.TemplateID]
		now := s.o.Now()
		h := now.In(vn).Hour()
		switch {
		case !ok:
			s.reply(w, r, ErrNoTemplate, "template "+req.TemplateID+" is not approved", nil)
			return nil
		case !phoneRE.MatchString(req.Phone):
			s.reply(w, r, ErrBadPhone, "phone "+req.Phone+" is not 84 and a mobile number", nil)
			return nil
		case tag != TagTransaction && (h < s.quiet[0] || h >= s.quiet[1]):
			s.reply(w, r, ErrQuietHours, fmt.Sprintf("template of tag %d not allowed at %02d:00", tag, h), nil)
			return nil
		case req.TrackingID == "":
			s.reply(w, r, ErrBadParam, "tracking_id is required", nil)
			return nil
		}
		for k, v := range req.Data {
			if n := utf8.RuneCountInString(v); n == 0 || n > MaxZNSParam {
				s.reply(w, r, ErrBadParam, fmt.Sprintf("template_data %s of %d characters", k, n), nil)
				return nil
			}
		}
		m := Message{ID: s.id("zns"), Kind: "zns", TemplateID: req.TemplateID, Data: req.Data, At: now, Text: req.Data["message"]}
		var to *User
		for _, u := range s.users {
			if u.Phone == req.Phone {
				to = u
			}
		}
		if to != nil {
			to.Messages = append(to.Messages, m)
			if f := s.o.OnSend; f != nil {
				id := to.ID
				notify = func() { f(id, m) }
			}
		} else {
			s.phones[req.Phone] = append(s.phones[req.Phone], m)
		}
		s.reply(w, r, 0, "", map[string]any{"msg_id": m.ID, "sent_time": strconv.FormatInt(now.UnixMilli(), 10)})
		return notify
	})
}

func (s *Server) userDetail(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code, desc := s.checkToken(r); code != 0 {
		s.reply(w, r, code, desc, nil)
		return
	}
	var q struct {
		UserID string `json:"user_id"`
	}
	_ = json.Unmarshal([]byte(r.URL.Query().Get("data")), &q)
	u := s.users[q.UserID]
	if u == nil {
		s.reply(w, r, ErrBadParam, "user_id is invalid", nil)
		return
	}
	s.reply(w, r, 0, "", map[string]any{"user_id": u.ID, "display_name": u.Name, "user_is_follower": u.Following})
}

// issued finds an attachment id (kind image) or file token (kind file)
// the fake gave and that still works; else Zalo's bad-param refusal.
func (s *Server) issued(kind, id string) (Upload, int, string) {
	up, ok := s.uploads[id]
	switch {
	case id == "":
		return Upload{}, ErrBadParam, "no " + kind + " attachment given"
	case !ok || up.Kind != kind:
		return Upload{}, ErrBadParam, kind + " attachment " + id + " is invalid"
	case !s.o.Now().Before(up.Expires):
		return Upload{}, ErrBadParam, kind + " attachment " + id + " has expired"
	}
	return up, 0, ""
}

// Uploads lists the files the OA uploaded (accepted ones), oldest first.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Upload, 0, len(s.upOrder))
	for _, id := range s.upOrder {
		out = append(out, s.uploads[id])
	}
	return out
}

// upload checks a file as Zalo does: PDF, DOC or DOCX up to 5 MB; PNG or
// JPEG images up to 1 MB (whose bytes must be one). An image is answered
// with an attachment_id, a file with a token (both U: integrators' code
// and Zalo's Java SDK samples, not a published reference).
func (s *Server) upload(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if code, desc := s.checkToken(r); code != 0 {
			s.reply(w, r, code, desc, nil)
			return
		}
		f, h, err := r.FormFile("file")
		if err != nil {
			s.reply(w, r, ErrBadParam, "no file", nil)
			return
		}
		defer f.Close()
		name := strings.ToLower(h.Filename)
		ok, limit := false, int64(MaxImageBytes)
		if kind == "file" {
			limit = MaxFileBytes
			ok = strings.HasSuffix(name, ".pdf") || strings.HasSuffix(name, ".doc") || strings.HasSuffix(name, ".docx")
		} else {
			ok = strings.HasSuffix(name, ".png") || strings.HasSuffix(name, ".jpg") || strings.HasSuffix(name, ".jpeg")
		}
		data, _ := io.ReadAll(io.LimitReader(f, limit+1))
		n := int64(len(data))
		sniffed := http.DetectContentType(data)
		switch {
		case !ok:
			s.reply(w, r, ErrBadParam, "file type of "+h.Filename+" is not allowed", nil)
		case n > limit:
			s.reply(w, r, ErrBadParam, fmt.Sprintf("%s is over %d bytes", h.Filename, limit), nil)
		case n == 0:
			s.reply(w, r, ErrBadParam, h.Filename+" is empty", nil)
		case kind == "image" && sniffed != "image/png" && sniffed != "image/jpeg":
			s.reply(w, r, ErrBadParam, h.Filename+" is not a PNG or JPEG image", nil)
		default:
			up := Upload{Kind: kind, Name: h.Filename, Size: int(n), MIME: h.Header.Get("Content-Type"), Expires: s.o.Now().Add(UploadTTL)}
			field := "token"
			if kind == "image" {
				field, up.ID = "attachment_id", s.id("att")
			} else {
				up.ID = s.id("file")
			}
			s.uploads[up.ID] = up
			s.upOrder = append(s.upOrder, up.ID)
			s.reply(w, r, 0, "", map[string]string{field: up.ID})
		}
	}
}

// Sign is Zalo's webhook signature of a body: hex SHA-256 of app id, the
// raw body, the body's timestamp and the OA secret key.
func Sign(appID, oaSecret string, body []byte, timestamp string) string {
	sum := sha256.Sum256([]byte(appID + string(body) + timestamp + oaSecret))
	return hex.EncodeToString(sum[:])
}

func (s *Server) event(name, user string, message map[string]any, fromOA bool) []byte {
	return s.eventAt(name, user, message, fromOA, s.o.Now())
}

func (s *Server) eventAt(name, user string, message map[string]any, fromOA bool, at time.Time) []byte {
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	ev := map[string]any{
		"app_id": s.o.AppID, "user_id_by_app": "app" + user, "event_name": name, "timestamp": ts,
		"sender": map[string]string{"id": user}, "recipient": map[string]string{"id": s.o.OAID},
	}
	if fromOA {
		ev["sender"], ev["recipient"] = map[string]string{"id": s.o.OAID}, map[string]string{"id": user}
	}
	switch name {
	case "follow", "unfollow":
		delete(ev, "sender")
		delete(ev, "recipient")
		ev["oa_id"], ev["follower"], ev["source"] = s.o.OAID, map[string]string{"id": user}, "oa_profile"
	case "user_submit_info":
		ev["info"] = message
	default:
		ev["message"] = message
	}
	b, _ := json.Marshal(ev)
	return b
}

// act is a user's action: it counts as an interaction (the window starts
// again) and its event is posted, times times.
func (s *Server) act(id, name string, message map[string]any, times int) (Delivery, error) {
	return s.actAt(id, name, message, times, time.Time{})
}

// SendTextAt posts text typed at an earlier time (a delivery Zalo held
// back and retried).
func (s *Server) SendTextAt(id, text string, at time.Time) (Delivery, error) {
	return s.actAt(id, "user_send_text", map[string]any{"text": text}, 1, at)
}

func (s *Server) actAt(id, name string, message map[string]any, times int, at time.Time) (Delivery, error) {
	s.mu.Lock()
	if at.IsZero() {
		at = s.o.Now()
	}
	u := s.users[id]
	if u == nil {
		s.mu.Unlock()
		return Delivery{}, fmt.Errorf("zalotest: no user %s", id)
	}
	switch name {
	case "follow":
		u.Following = true
	case "unfollow":
		u.Following = false
	case "user_submit_info":
		u.Phone, _ = message["phone"].(string)
	}
	if name != "unfollow" {
		u.LastSeen, u.Replies = s.o.Now(), 0
	}
	if message != nil && name != "user_submit_info" {
		message["msg_id"] = s.id("msg")
	}
	body := s.eventAt(name, id, message, false, at)
	if s.holding {
		s.held = append(s.held, body)
		s.mu.Unlock()
		return Delivery{Event: name}, nil
	}
	s.mu.Unlock()
	return s.deliver(body, times), nil
}

// Follow, Unfollow, SendText, Press, SubmitInfo and SendMedia are a
// user's actions; each posts its event and returns the (first) delivery.
func (s *Server) Follow(id string) (Delivery, error)   { return s.act(id, "follow", nil, 1) }
func (s *Server) Unfollow(id string) (Delivery, error) { return s.act(id, "unfollow", nil, 1) }
func (s *Server) SendText(id, text string) (Delivery, error) {
	return s.act(id, "user_send_text", map[string]any{"text": text}, 1)
}

// SendTextTimes posts the same event times times (Zalo's duplicates).
func (s *Server) SendTextTimes(id, text string, times int) (Delivery, error) {
	return s.act(id, "user_send_text", map[string]any{"text": text}, times)
}

// Press is a tap on an oa.query.hide button: Zalo sends the payload back
// as the user's text.
func (s *Server) Press(id string, b Button) (Delivery, error) {
	p, _ := b.Payload.(string)
	if b.Type != "oa.query.hide" && b.Type != "oa.query.show" {
		return Delivery{}, fmt.Errorf("zalotest: button %q of type %s sends nothing back", b.Title, b.Type)
	}
	return s.act(id, "user_send_text", map[string]any{"text": p}, 1)
}

// SubmitInfo answers the share-phone card; phone as Zalo gives it (84…).
func (s *Server) SubmitInfo(id, phone string) (Delivery, error) {
	u, _ := s.User(id)
	return s.act(id, "user_submit_info", map[string]any{"name": u.Name, "phone": phone, "address": "", "city": "", "district": ""}, 1)
}

// SendMedia sends image, file, sticker, audio or location.
func (s *Server) SendMedia(id, kind string) (Delivery, error) {
	var att map[string]any
	switch kind {
	case "image", "sticker", "gif", "file", "audio", "video":
		att = map[string]any{"type": kind, "payload": map[string]string{"url": "https://zalo.example/" + kind}}
	case "location":
		att = map[string]any{"type": "location", "payload": map[string]any{"coordinates": map[string]string{"latitude": "21.18", "longitude": "106.07"}}}
	default:
		return Delivery{}, fmt.Errorf("zalotest: media kind %q", kind)
	}
	return s.act(id, "user_send_"+kind, map[string]any{"text": "", "attachments": []any{att}}, 1)
}

// SendFile sends a file as a follower does (kind image or file): the file
// is kept at an address of the fake's, which the event carries, until
// MediaTTL passes; a file also carries its name.
func (s *Server) SendFile(id, kind, name, mime string, data []byte) (Delivery, error) {
	s.mu.Lock()
	key := s.id("media")
	s.media[key+"/"+name] = hosted{mime: mime, data: data, expires: s.o.Now().Add(s.o.MediaTTL)}
	s.mu.Unlock()
	payload := map[string]any{"url": s.URL + "/media/" + key + "/" + url.PathEscape(name)}
	if kind == "file" {
		payload["name"], payload["size"], payload["type"] = name, strconv.Itoa(len(data)), strings.TrimPrefix(path.Ext(name), ".")
	} else {
		payload["thumbnail"] = payload["url"]
	}
	return s.act(id, "user_send_"+kind, map[string]any{"text": "", "attachments": []any{map[string]any{"type": kind, "payload": payload}}}, 1)
}

// MediaFetches counts the requests for files followers sent.
func (s *Server) MediaFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// serveMedia serves a file a follower sent while its address lasts.
func (s *Server) serveMedia(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.fetches++
	f, ok := s.media[r.PathValue("id")+"/"+r.PathValue("name")]
	now := s.o.Now()
	s.mu.Unlock()
	if !ok || !now.Before(f.expires) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.mime)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.data)))
	_, _ = w.Write(f.data)
}

// Hold keeps the next events instead of posting them; Release posts them
// in the order given (indexes into what was held), then the rest.
func (s *Server) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holding = true
}

// Release posts the held events: those at order first, in that order.
func (s *Server) Release(order ...int) []Delivery {
	s.mu.Lock()
	held := s.held
	s.held, s.holding = nil, false
	s.mu.Unlock()
	done := map[int]bool{}
	var out []Delivery
	for _, i := range order {
		if i >= 0 && i < len(held) && !done[i] {
			done[i] = true
			out = append(out, s.deliver(held[i], 1))
		}
	}
	for i, b := range held {
		if !done[i] {
			out = append(out, s.deliver(b, 1))
		}
	}
	return out
}

// PostRaw posts a body with the given signature header (empty: none), as
// a forger would; it returns the HTTP status.
func (s *Server) PostRaw(body []byte, signature string) (int, error) {
	s.mu.Lock()
	hook := s.webhook
	s.mu.Unlock()
	req, err := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-ZEvent-Signature", signature)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// SignedBody is an event body as Zalo would post it, and its signature.
func (s *Server) SignedBody(name, user, text string) ([]byte, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body := s.event(name, user, map[string]any{"msg_id": s.id("msg"), "text": text}, false)
	return body, "mac=" + Sign(s.o.AppID, s.o.OASecret, body, timestampOf(body))
}

func timestampOf(body []byte) string {
	var v struct {
		Timestamp string `json:"timestamp"`
	}
	_ = json.Unmarshal(body, &v)
	return v.Timestamp
}

// deliver posts a body times times; a delivery that fails (not 200) is
// retried up to Retries times, after which Zalo disables the webhook.
func (s *Server) deliver(body []byte, times int) Delivery {
	s.mu.Lock()
	hook, disabled := s.webhook, s.disabled
	sig := "mac=" + Sign(s.o.AppID, s.o.OASecret, body, timestampOf(body))
	s.mu.Unlock()
	var first Delivery
	var v struct {
		Name string `json:"event_name"`
	}
	_ = json.Unmarshal(body, &v)
	if hook == "" || disabled {
		return Delivery{Event: v.Name, Err: fmt.Errorf("zalotest: no webhook")}
	}
	for k := 0; k < times; k++ {
		var d Delivery
		for try := 0; try <= s.o.Retries; try++ {
			if try > 0 {
				time.Sleep(s.o.RetryAfter)
			}
			d = Delivery{Event: v.Name}
			start := time.Now()
			req, err := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-ZEvent-Signature", sig)
				var resp *http.Response
				if resp, err = s.client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					d.Status = resp.StatusCode
				}
			}
			d.Latency, d.Err = time.Since(start), err
			s.mu.Lock()
			s.deliv = append(s.deliv, d)
			if d.Status == http.StatusOK {
				s.failures = 0
			} else {
				s.failures++
			}
			s.mu.Unlock()
			if d.Status == http.StatusOK {
				break
			}
		}
		if k == 0 {
			first = d
		}
		if d.Status != http.StatusOK {
			s.mu.Lock()
			s.disabled = true
			s.mu.Unlock()
			break
		}
	}
	return first
}
