// Package desk is the staff desk in the browser (issue 19): counsellors
// who cannot use Telegram sign in with a password and a TOTP code, see the
// open cases in their scope, take one, answer the person and close it.
// Everything goes through the same store calls and case events as the
// Telegram side, so the existing relay delivers answers on the person's
// own channel and the same case can be worked from either place.
//
// Pages are server-rendered (html/template), Vietnamese (and all in
// English, the member's pick: lang.go), with one small
// stylesheet and one small script for live updates (live.go): every
// action is a form that works without JavaScript. Each POST carries a CSRF token; sessions live in PostgreSQL
// as token hashes.
package desk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"reentrybot/announce"
	"reentrybot/i18n"
	"reentrybot/store"
)

//go:embed templates/*.html templates/style.css
var files embed.FS

// Options tune the desk; zero values take the defaults.
type Options struct {
	IdleTimeout time.Duration  // a session unused this long ends (30 min)
	LockAfter   int            // wrong sign-ins in a row that lock an account (20)
	LockFor     time.Duration  // how long the lock lasts (15 min)
	AddrLimit   int            // failed sign-ins per client address in AddrWindow (50; ratelimit.go)
	AddrWindow  time.Duration  // the window they are counted in (15 min)
	Loc         *time.Location // times on the pages (UTC)
	Issuer      string         // the name authenticator apps show ("reentrybot")
	// HashInvite is how invite codes are stored (bot.HashInviteCode):
	// the desk redeems the same invites as the Telegram link. Required.
	HashInvite func(code string) []byte
	// CaseChanged is told after the desk changed a case (taken, answered,
	// closed), so the relay sends at once rather than at its next sweep.
	CaseChanged func(caseID int64)
	// URL is the desk's address as staff browsers reach it (DESK_URL):
	// the web link of a new invite. Empty: the address of the request.
	URL string
	// InviteLink is the Telegram link that redeems an invite code
	// (bot.InviteLink with the bot's username); nil shows none.
	InviteLink func(code string) string
	// FrameAncestors are origins that may show the desk in a frame: the
	// demo's playground only. Empty (production): never framed, so no page
	// can trick a counsellor into clicking through the desk.
	FrameAncestors []string
	LivePoll       time.Duration // how often live updates look for changes (1 s; live.go)
	LiveCheck      time.Duration // how often a live stream checks its session (15 s)
	// Announcements (desk/announce.go): ApprovalOver is the audience size
	// above which an officer's needs an admin (ANNOUNCE_APPROVAL_OVER, as
	// the bot's) [announce.DefaultApprovalOver]; Announced is told after
	// one was confirmed or cancelled (announcements.Announced), Decided after an
	// admin approved or refused one (announcements.Decided); Reacher finds a
	// channel's reach preview (announcements.Reacher), nil for none.
	ApprovalOver int
	Announced    func(broadcastID int64)
	Decided      func(broadcastID int64, approve bool, admin string)
	Reacher      func(channel string) announce.Reacher
}

// Server serves the desk.
type Server struct {
	db    *store.DB
	cat   *i18n.Catalog
	opt   Options
	log   *slog.Logger
	pages map[string]*template.Template
	css   []byte
	// dummyHash is checked for an unknown login, so that a sign-in takes
	// as long whether or not the login exists.
	dummyHash string
	// loginKey hashes unknown logins for the audit log (auth.go), read
	// from the store at the first sign-in.
	keyMu    sync.Mutex
	loginKey []byte
	// translated are the pages of the other languages (lang.go).
	translated map[string]map[string]*template.Template
	live       *hub // live updates (live.go)
}

// Cookie names: the session, and the sign-in forms' CSRF token before
// there is a session (double submit).
const (
	sessionCookie = "desk_session"
	preCookie     = "desk_pre"
)

// New makes the desk's server.
func New(db *store.DB, cat *i18n.Catalog, opt Options, log *slog.Logger) (*Server, error) {
	if opt.IdleTimeout == 0 {
		opt.IdleTimeout = 30 * time.Minute
	}
	if opt.LockAfter == 0 {
		opt.LockAfter = 20
	}
	if opt.LockFor == 0 {
		opt.LockFor = 15 * time.Minute
	}
	if opt.AddrLimit == 0 {
		opt.AddrLimit = defaultAddrLimit
	}
	if opt.AddrWindow == 0 {
		opt.AddrWindow = defaultAddrWindow
	}
	if opt.Loc == nil {
		opt.Loc = time.UTC
	}
	if opt.Issuer == "" {
		opt.Issuer = "reentrybot"
	}
	if opt.LivePoll == 0 {
		opt.LivePoll = defaultLivePoll
	}
	if opt.LiveCheck == 0 {
		opt.LiveCheck = defaultLiveCheck
	}
	if opt.ApprovalOver <= 0 {
		opt.ApprovalOver = announce.DefaultApprovalOver
	}
	if opt.HashInvite == nil {
		return nil, errors.New("desk: Options.HashInvite is required")
	}
	s := &Server{db: db, cat: cat, opt: opt, log: log, pages: map[string]*template.Template{}}
	s.live = newHub(db, log, opt.LivePoll)
	funcs := s.funcs(i18n.Default) // lang.go
	for _, p := range []string{"signin", "invite", "queue", "case", "message", "recovery", "report", "audit", "staff", "import", "announce", "announce_form", "announce_preview"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, err
		}
		s.pages[p] = t
	}
	if err := s.parseTranslated(); err != nil { // lang.go
		return nil, err
	}
	css, err := files.ReadFile("templates/style.css")
	if err != nil {
		return nil, err
	}
	s.css = css
	if s.dummyHash, err = hashPassword("not a password of anyone"); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler is the desk's routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write(s.css)
	})
	mux.HandleFunc("GET /{$}", s.staff(func(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
		http.Redirect(w, r, home(sess.Staff), http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /signin", s.signinPage)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("POST /signout", s.staff(s.signout))
	mux.HandleFunc("GET /invite/{code}", s.invitePage)
	mux.HandleFunc("POST /invite/{code}", s.redeem)
	mux.HandleFunc("GET /queue", s.staff(s.queue))
	mux.HandleFunc("GET /case/{id}", s.staff(s.casePage))
	mux.HandleFunc("POST /case/{id}/profile", s.staff(s.profile))
	mux.HandleFunc("POST /case/{id}/take", s.staff(s.take))
	mux.HandleFunc("POST /case/{id}/answer", s.staff(s.answer))
	mux.HandleFunc("POST /case/{id}/note", s.staff(s.note))
	mux.HandleFunc("POST /case/{id}/close", s.staff(s.closeCase))
	mux.HandleFunc("POST /signout-everywhere", s.staff(s.signoutEverywhere))
	s.adminRoutes(mux)                                       // admin.go
	mux.HandleFunc("GET /recovery", s.staff(s.recoveryPage)) // recovery.go
	mux.HandleFunc("POST /recovery", s.staff(s.regenerate))
	mux.HandleFunc("GET /lang/{code}", s.setLang)               // lang.go
	mux.HandleFunc("POST /case/{id}/reopen", s.staff(s.reopen)) // cases.go
	mux.HandleFunc("GET /live", s.liveStream)                   // live.go
	mux.HandleFunc("GET /live.js", s.liveScript)
	s.announceRoutes(mux) // desk/announce.go
	return headers(mux, s.opt.FrameAncestors)
}

// headers are every response's: nothing from elsewhere, no framing, no
// referrer (an invite link carries its code), nothing cached.
func headers(h http.Handler, frameAncestors []string) http.Handler {
	frame := "'none'"
	if len(frameAncestors) > 0 {
		frame = strings.Join(frameAncestors, " ")
	}
	csp := "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src data:; form-action 'self'; frame-ancestors " + frame + "; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		if len(frameAncestors) == 0 {
			hd.Set("X-Frame-Options", "DENY") // browsers without CSP's frame-ancestors
		}
		if r.URL.Path != "/style.css" && r.URL.Path != "/live.js" {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// staff wraps a handler that needs a session: without one a page sends to
// the sign-in, a POST is refused; a POST without the session's CSRF token
// is refused.
func (s *Server) staff(h func(http.ResponseWriter, *http.Request, store.DeskSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok := s.session(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin", http.StatusSeeOther)
				return
			}
			s.say(w, r, http.StatusForbidden, "desk_session_ended", nil) // lang.go
			return
		}
		r = s.memberLang(w, r, sess) // lang.go
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, bodyLimit(r)) // admin.go
			if !sameToken(r.PostFormValue("csrf"), sess.CSRF) {
				s.log.Warn("desk POST without a valid CSRF token", "staff", sess.ID, "path", r.URL.Path)
				s.say(w, r, http.StatusForbidden, "desk_bad_request", nil)
				return
			}
		}
		h(w, r, sess)
	}
}

// session finds the request's live session (nil errors are logged and
// count as none: the person signs in again).
func (s *Server) session(r *http.Request) (store.DeskSession, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		return store.DeskSession{}, false
	}
	sess, ok, err := s.db.DeskSessionByToken(r.Context(), hashToken(c.Value), s.opt.IdleTimeout)
	if err != nil {
		s.log.Error("reading a desk session", "err", err)
		return sess, false
	}
	return sess, ok
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
}

// secure reports whether the browser reached us over HTTPS (directly or
// through the reverse proxy).
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// newToken is a random URL-safe token.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

func sameToken(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// render writes a page; data is the page's own.
func (s *Server) render(w http.ResponseWriter, status int, page string, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	t := s.pages[page]
	if l, _ := data["Lang"].(string); s.translated[l][page] != nil {
		t = s.translated[l][page]
	}
	if err := t.Execute(w, data); err != nil {
		s.log.Error("rendering a desk page", "page", page, "err", err)
	}
}

// fail answers an internal error politely and logs it.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("desk", "path", r.URL.Path, "err", err)
	s.say(w, r, http.StatusInternalServerError, "desk_failed", nil) // lang.go
}

// audit writes an audit line outside a transaction, logging a failure.
func (s *Server) audit(ctx context.Context, staffID int64, action string, caseID int64, detail string) {
	if err := s.db.Audit(ctx, staffID, 0, action, caseID, detail); err != nil {
		s.log.Error("desk audit", "action", action, "err", err)
	}
}

// home is where a member's desk opens: counsellors and admins at the
// queue, an officer (who handles no cases) at the announcements of their
// communes, else at the report.
func home(s store.Staff) string {
	switch {
	case s.HandlesCases():
		return "/queue"
	case announce.Allowed(s):
		return "/announce"
	default:
		return "/report"
	}
}
