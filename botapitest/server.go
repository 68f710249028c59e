// Package botapitest is an in-process fake of the Telegram Bot API served
// over real HTTP, so the real go-telegram/bot client (or any raw HTTP
// poller) can be tested against it. It keeps chats, messages, updates and a
// call log in memory, acts as users on demand, and reproduces the Bot API
// errors bots trip over in production: entity parsing, length limits,
// BUTTON_DATA_INVALID, blocked users, flood control (429 + retry_after) and
// injected failures. Every call is first checked against the published Bot
// API specification (spec.go); NewTest fails the test whose code broke it.
package botapitest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot/models"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	token       string
	botID       int64
	botUsername string
	limits      Limits
	now         func() time.Time
	logger      *slog.Logger
}

// Limits configures flood control. Zero fields take the defaults, which
// mirror Telegram's documented broadcast limits.
type Limits struct {
	Overall           int  // sends per second across all chats (default 30)
	PerChat           int  // sustained sends per second to one private chat (default 1)
	PerChatBurst      int  // burst allowed to one private chat (default 3)
	PerGroupPerMinute int  // sends per minute to one group or supergroup (default 20)
	Disabled          bool // turn flood control off entirely
}

func (l Limits) withDefaults() Limits {
	if l.Overall <= 0 {
		l.Overall = 30
	}
	if l.PerChat <= 0 {
		l.PerChat = 1
	}
	if l.PerChatBurst <= 0 {
		l.PerChatBurst = 3
	}
	if l.PerGroupPerMinute <= 0 {
		l.PerGroupPerMinute = 20
	}
	return l
}

// WithToken sets the only bot token the server accepts.
func WithToken(t string) Option { return func(c *config) { c.token = t } }

// WithBotUser sets what getMe returns.
func WithBotUser(id int64, username string) Option {
	return func(c *config) { c.botID, c.botUsername = id, username }
}

// WithLimits configures flood control.
func WithLimits(l Limits) Option { return func(c *config) { c.limits = l } }

// WithClock replaces time.Now for message dates, the call log and flood
// control, so rate-limit tests can advance time instead of sleeping.
// Long-poll timeouts and webhook backoff still use real time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithLogger enables debug logging of API calls (quiet by default).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Server is a fake Bot API server. All methods are safe for concurrent use.
type Server struct {
	cfg    config
	ln     net.Listener
	srv    *http.Server
	url    string
	ctx    context.Context // cancelled by Close; bounds webhook requests
	cancel context.CancelFunc
	hc     *http.Client
	wg     sync.WaitGroup
	once   sync.Once

	mu      sync.Mutex
	closed  bool
	changed chan struct{} // closed and replaced on every state change

	nextUserID   int64
	nextGroupSeq int64
	nextUpdateID int64
	nextFileSeq  int
	nextQuerySeq int

	chats    map[int64]*chat
	updates  []pendingUpdate
	allowed  []string // allowed_updates as last set by getUpdates/setWebhook
	files    map[string]fileInfo
	queries  map[string]bool // callback query id -> answered
	commands map[string][]models.BotCommand
	// descriptions: "description|vi", "short_description|" (default) → text
	descriptions map[string]string

	calls      []Call
	violations []Violation
	answers    []CallbackAnswer
	faults     []fault
	delays     map[string]time.Duration

	lim        limiter
	tooMany    int
	tooManyIn  map[int64]int
	early      int
	retryUntil map[string]time.Time

	hook       webhookState
	deliveries []Delivery

	subs    map[int]chan Event
	nextSub int

	mounted atomic.Pointer[http.Handler] // set by Mount
}

// New starts a server listening on 127.0.0.1 on a free port.
// It panics if it cannot listen, which only happens in broken environments.
func New(opts ...Option) *Server {
	cfg := config{
		token:       "123456:TEST-TOKEN",
		botID:       7000001,
		botUsername: "reentry_test_bot",
		now:         time.Now,
		logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.limits = cfg.limits.withDefaults()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("botapitest: listen: " + err.Error())
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:          cfg,
		ln:           ln,
		url:          "http://" + ln.Addr().String(),
		ctx:          ctx,
		cancel:       cancel,
		hc:           &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}},
		changed:      make(chan struct{}),
		nextUserID:   1000000000,
		nextUpdateID: 1000,
		chats:        map[int64]*chat{},
		files:        map[string]fileInfo{},
		queries:      map[string]bool{},
		commands:     map[string][]models.BotCommand{},
		descriptions: map[string]string{},
		delays:       map[string]time.Duration{},
		retryUntil:   map[string]time.Time{},
		tooManyIn:    map[int64]int{},
		subs:         map[int]chan Event{},
		lim:          newLimiter(),
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	go s.deliverLoop()
	return s
}

// URL is the base URL to pass to bot.WithServerURL.
func (s *Server) URL() string { return s.url }

// Token is the bot token the server accepts.
func (s *Server) Token() string { return s.cfg.token }

// Close stops the server. In-flight long polls return immediately, the
// webhook deliverer stops, and subscriber channels are closed.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.wakeLocked()
		s.mu.Unlock()
		s.cancel()

		// Handlers observe s.ctx/s.closed and return at once; the timeout
		// only guards against half-open client connections.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
		s.wg.Wait()
		s.hc.CloseIdleConnections()

		s.mu.Lock()
		for id, ch := range s.subs {
			close(ch)
			delete(s.subs, id)
		}
		s.mu.Unlock()
	})
}

func (s *Server) now() time.Time { return s.cfg.now() }

// wakeLocked wakes everybody waiting for a state change (long polls,
// WaitMessages, the webhook deliverer). Callers hold s.mu.
func (s *Server) wakeLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// apiError is a Bot API error answer; the HTTP status equals Code.
type apiError struct {
	Code       int
	Desc       string
	RetryAfter int
}

func badRequest(desc string) *apiError { return &apiError{Code: 400, Desc: "Bad Request: " + desc} }

var (
	errChatNotFound = badRequest("chat not found")
	errBlocked      = &apiError{Code: 403, Desc: "Forbidden: bot was blocked by the user"}
	errNotFound     = &apiError{Code: 404, Desc: "Not Found"}
	errUnauthorized = &apiError{Code: 401, Desc: "Unauthorized"}
)

type okResult struct {
	result any
	desc   string // setWebhook and friends also send a description
}

type handlerFunc func(s *Server, ctx context.Context, p *params) (any, *apiError)

// methods maps lower-case method names (Telegram matches them
// case-insensitively) to their canonical spelling and handler.
var methods = map[string]struct {
	name string
	fn   handlerFunc
}{}

func register(name string, fn handlerFunc) {
	methods[strings.ToLower(name)] = struct {
		name string
		fn   handlerFunc
	}{name, fn}
}

func init() {
	register("getMe", (*Server).getMe)
	register("getUpdates", (*Server).getUpdatesMethod)
	register("setWebhook", (*Server).setWebhook)
	register("deleteWebhook", (*Server).deleteWebhook)
	register("getWebhookInfo", (*Server).getWebhookInfo)
	register("sendMessage", (*Server).sendMessage)
	register("editMessageText", (*Server).editMessageText)
	register("editMessageCaption", (*Server).editMessageCaption)
	register("editMessageReplyMarkup", (*Server).editMessageReplyMarkup)
	register("answerCallbackQuery", (*Server).answerCallbackQuery)
	register("sendChatAction", (*Server).sendChatAction)
	register("copyMessage", (*Server).copyMessage)
	register("forwardMessage", (*Server).forwardMessage)
	register("sendPhoto", mediaSender("photo"))
	register("sendDocument", mediaSender("document"))
	register("sendVoice", mediaSender("voice"))
	register("sendSticker", mediaSender("sticker"))
	register("sendLocation", (*Server).sendLocation)
	register("sendContact", (*Server).sendContact)
	register("setMyCommands", (*Server).setMyCommands)
	register("getMyCommands", (*Server).getMyCommands)
	register("deleteMyCommands", (*Server).deleteMyCommands)
	register("setMyDescription", describer("description", 512))
	register("setMyShortDescription", describer("short_description", 120))
	register("deleteMessage", (*Server).deleteMessage)
	register("deleteMessages", (*Server).deleteMessages)
	register("createForumTopic", (*Server).createForumTopic)
	register("editForumTopic", (*Server).editForumTopic)
	register("closeForumTopic", (*Server).closeForumTopic)
	register("reopenForumTopic", (*Server).reopenForumTopic)
	register("deleteForumTopic", (*Server).deleteForumTopic)
	register("getChat", (*Server).getChat)
	register("getChatMember", (*Server).getChatMember)
	register("getChatAdministrators", (*Server).getChatAdministrators)
	register("banChatMember", (*Server).banChatMember)
	register("unbanChatMember", (*Server).unbanChatMember)
	register("getFile", (*Server).getFile)
}

// limitedMethods are subject to flood control; edits and callback answers
// are not, as on Telegram.
var limitedMethods = map[string]bool{
	"sendMessage": true, "copyMessage": true, "forwardMessage": true,
	"sendPhoto": true, "sendDocument": true, "sendVoice": true, "sendSticker": true,
	"sendLocation": true, "sendContact": true,
}

// Mount serves h, on URL(), at every path that is not the Bot API's
// /bot<token>/<method> (the playground page, for one); nil unmounts.
func (s *Server) Mount(h http.Handler) {
	if h == nil {
		s.mounted.Store(nil)
		return
	}
	s.mounted.Store(&h)
}

// ServeHTTP serves POST|GET /bot<token>/<method>, and every other path
// with the handler given to Mount. New already serves it on URL(), but the
// Server can also be mounted elsewhere.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok && r.Method == http.MethodGet {
		s.download(w, rest)
		return
	}
	token, method, ok := splitPath(r.URL.Path)
	if h := s.mounted.Load(); !ok && h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	if !ok {
		s.finish(w, r.URL.Path, 0, nil, errNotFound)
		return
	}
	m, known := methods[strings.ToLower(method)]
	name := method
	if known {
		name = m.name
	}
	if token != s.cfg.token {
		s.finish(w, name, 0, nil, errUnauthorized)
		return
	}
	p, err := parseParams(r)
	if err != nil {
		s.finish(w, name, 0, nil, badRequest(err.Error()))
		return
	}
	chatID, _ := strconv.ParseInt(p.str("chat_id"), 10, 64)
	if probs := checkSpec(name, p); len(probs) > 0 {
		s.violated(name, probs)
		e := errNotFound // Telegram's answer to an unknown method
		if known {
			e = badRequest(strings.Join(probs, "; ") + " (botapitest: not as in " + specVersion + ")")
		}
		s.finish(w, name, chatID, nil, e)
		return
	}
	if !known {
		s.finish(w, name, chatID, nil, errNotFound)
		return
	}
	if !s.sleep(r.Context(), name) {
		s.finish(w, name, chatID, nil, &apiError{Code: 499, Desc: "request cancelled"})
		return
	}
	if e := s.preflight(name, chatID); e != nil {
		s.finish(w, name, chatID, nil, e)
		return
	}
	res, e := m.fn(s, r.Context(), p)
	s.finish(w, name, chatID, res, e)
}

// preflight counts early retries and applies injected faults.
func (s *Server) preflight(method string, chatID int64) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if limitedMethods[method] {
		if now.Before(s.retryUntil["overall"]) || now.Before(s.retryUntil[scopeKey(chatID)]) {
			s.early++
		}
	}
	for i := range s.faults {
		f := &s.faults[i]
		if f.method != "" && !strings.EqualFold(f.method, method) {
			continue
		}
		f.n--
		e := &apiError{Code: f.code, Desc: f.desc, RetryAfter: f.retryAfter}
		if f.n <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		if e.Code == http.StatusTooManyRequests {
			s.note429Locked(chatID, chatID == 0, e.RetryAfter, now)
		}
		return e
	}
	return nil
}

// note429Locked counts a 429 for chatID and remembers until when that
// scope (the chat, or all chats if overall) must stay quiet.
func (s *Server) note429Locked(chatID int64, overall bool, retryAfter int, now time.Time) {
	s.tooMany++
	if chatID != 0 {
		s.tooManyIn[chatID]++
	}
	key := "overall"
	if chatID != 0 && !overall {
		key = scopeKey(chatID)
	}
	s.retryUntil[key] = now.Add(time.Duration(retryAfter) * time.Second)
}

func scopeKey(chatID int64) string { return "chat:" + strconv.FormatInt(chatID, 10) }

// sleep applies SetDelay; it reports false when the request or server ended.
func (s *Server) sleep(ctx context.Context, method string) bool {
	s.mu.Lock()
	d, ok := s.delays[method]
	if !ok {
		d = s.delays[""]
	}
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.ctx.Done():
	}
	return false
}

func splitPath(path string) (token, method string, ok bool) {
	rest, found := strings.CutPrefix(path, "/bot")
	if !found {
		return "", "", false
	}
	token, method, found = strings.Cut(rest, "/")
	if !found || method == "" || strings.Contains(method, "/") {
		return "", "", false
	}
	return token, method, true
}

type response struct {
	OK          bool            `json:"ok"`
	Result      any             `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *responseParams `json:"parameters,omitempty"`
}

type responseParams struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

// finish logs the call and writes the answer.
func (s *Server) finish(w http.ResponseWriter, method string, chatID int64, res any, e *apiError) {
	call := Call{Method: method, ChatID: chatID, Status: http.StatusOK}
	resp := response{OK: true, Result: res}
	if ok, isOK := res.(okResult); isOK {
		resp.Result, resp.Description = ok.result, ok.desc
	}
	if e != nil {
		call.Status, call.Description = e.Code, e.Desc
		resp = response{ErrorCode: e.Code, Description: e.Desc}
		if e.RetryAfter > 0 {
			resp.Parameters = &responseParams{RetryAfter: e.RetryAfter}
		}
	}
	body, err := json.Marshal(resp)
	if err != nil {
		body = []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
		call.Status, call.Description = http.StatusInternalServerError, "marshal result: "+err.Error()
	}
	s.mu.Lock()
	call.At = s.now()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	s.cfg.logger.Debug("botapitest call", "method", method, "chat_id", chatID, "status", call.Status, "description", call.Description)

	w.Header().Set("Content-Type", "application/json")
	status := call.Status
	if status < 100 || status > 599 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// violated records calls that break the specification.
func (s *Server) violated(method string, probs []string) {
	s.mu.Lock()
	now := s.now()
	for _, p := range probs {
		s.violations = append(s.violations, Violation{Method: method, Problem: p, At: now})
	}
	s.mu.Unlock()
	for _, p := range probs {
		s.cfg.logger.Warn("botapitest: call breaks the Bot API specification", "method", method, "problem", p)
	}
}

// Violations returns the calls so far that broke the Bot API
// specification (each answered 400, or 404 for an unknown method).
func (s *Server) Violations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Violation(nil), s.violations...)
}

// TakeViolations returns the violations so far and forgets them, for tests
// that break the specification on purpose.
func (s *Server) TakeViolations() []Violation {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.violations
	s.violations = nil
	return v
}

// Call is one API request as the server saw it.
type Call struct {
	Method      string
	ChatID      int64 // 0 when the call had no numeric chat_id
	At          time.Time
	Status      int    // HTTP status / error_code; 200 when ok
	Description string // error description, empty when ok
}

type fault struct {
	method     string
	n          int
	code       int
	desc       string
	retryAfter int
}

// FailNext makes the next n calls of method ("" = any method) fail with the
// given error code and description; retryAfter > 0 adds
// parameters.retry_after (use with 429). Injected 429s count in
// TooManyRequests and arm early-retry detection for the call's chat.
func (s *Server) FailNext(method string, n int, code int, description string, retryAfter int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: method, n: n, code: code, desc: description, retryAfter: retryAfter})
}

// SetDelay delays every answer of method ("" = all methods without their
// own delay) by d; zero removes the delay.
func (s *Server) SetDelay(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.delays, method)
		return
	}
	s.delays[method] = d
}

// Calls counts calls of method (case-insensitive), rejected ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if strings.EqualFold(c.Method, method) {
			n++
		}
	}
	return n
}

// CallLog returns every API call so far, in arrival order.
func (s *Server) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// TooManyRequests is the number of 429 answers given (flood control and
// injected).
func (s *Server) TooManyRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tooMany
}

// TooManyRequestsIn is the number of 429 answers given to sends to chatID.
func (s *Server) TooManyRequestsIn(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tooManyIn[chatID]
}

// EarlyRetries counts sending calls that arrived while the retry_after the
// server last announced for their scope (their chat, or all chats after an
// overall flood) had not yet expired — i.e. clients not honouring 429s.
func (s *Server) EarlyRetries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

var errClosed = errors.New("botapitest: server closed")
