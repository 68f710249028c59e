// Package playground is a web page where one person plays several Telegram
// users side by side against the bot (returnees, and staff personas with the
// counsellors' forum group). It drives the project's test Bot API server
// (botapitest) only through that package's exported API, the same methods
// the Go tests use (SendText, PressButton, ShareContact, ...). With a fake
// Zalo OA (Options.Zalo) it also shows Zalo followers, driven through
// zalotest's exported API the same way (zaloweb.go).
//
// The page is plain HTML, CSS and JavaScript embedded below; it talks to a
// small JSON API under /playground/api/ and follows changes through
// Server-Sent Events at /playground/events.
package playground

import (
	"embed"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"reentrybot/botapitest"
	"reentrybot/zalotest"
)

//go:embed web
var webFiles embed.FS

// Options configures the playground. Nil or zero hooks hide the feature
// they drive.
type Options struct {
	// AdvanceClock moves the bot's clock forward (buttons: 1 hour, 1 day,
	// 7 days). Nil hides the buttons.
	AdvanceClock func(d time.Duration) error
	// Personas are pre-made users shown as fixed columns after the
	// returnees, e.g. the counsellor and the commune officer. Their users
	// must already exist on the server (NewUser).
	Personas []Persona
	// GroupChatID is the staff supergroup with forum topics; it is shown in
	// the column of the persona with Group set (or the first persona if
	// none is). Zero hides it.
	GroupChatID int64
	// WebChatURL is the bot's web chat page (/chat), shown in a frame
	// beside the Telegram columns (playground/webchat.go). Empty hides it.
	WebChatURL string
	// Zalo is the fake Zalo OA whose followers are shown beside the
	// Telegram returnees (playground/zaloweb.go); make it with
	// OnSend: Playground.ZaloSent, or the page sees the OA's answers only
	// with the next other change. Nil hides them.
	Zalo *zalotest.Server
	// Desk is the staff desk and its demo counsellor (playground/desk.go).
	// Nil hides the column.
	Desk *Desk
}

// Persona is a pre-made user the playground shows as its own column.
type Persona struct {
	Label string // e.g. "Counsellor"
	User  botapitest.User
	// Group shows the staff group (Options.GroupChatID) in this persona's
	// column, acting in it as User.
	Group bool
}

// Playground is the page's HTTP handler. It expects to be mounted at the
// root of a server (botapitest.Server.Mount does that): it serves "/" (a
// redirect) and "/playground/...".
type Playground struct {
	returnees Returnees // their channel: Telegram, for now
	s         *botapitest.Server
	opts      Options
	groupUser int64         // persona that acts in the group, 0 for none
	keepAlive time.Duration // SSE comment interval
	static    fs.FS
	streams   atomic.Int32 // open event streams

	mu      sync.Mutex
	hidden  map[int64]bool // returnee columns closed on the page
	changed chan struct{}  // closed and replaced when hidden changes
	rnd     *rand.Rand

	zalo       *Zalo          // nil without Options.Zalo
	zaloHidden map[int64]bool // Zalo columns closed on the page (under mu)
}

// New returns the playground of the test server s.
func New(s *botapitest.Server, opts Options) *Playground {
	opts.Personas = append([]Persona(nil), opts.Personas...)
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic("playground: embedded web files: " + err.Error())
	}
	p := &Playground{
		returnees: telegram{s},
		s:         s,
		opts:      opts,
		keepAlive: 15 * time.Second,
		static:    static,
		hidden:    map[int64]bool{},
		changed:   make(chan struct{}),
		rnd:       rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15)),
	}
	if opts.Zalo != nil {
		p.zalo, p.zaloHidden = &Zalo{S: opts.Zalo}, map[int64]bool{}
	}
	if opts.GroupChatID != 0 {
		for _, per := range opts.Personas {
			if per.Group {
				p.groupUser = per.User.ID
				break
			}
		}
		if p.groupUser == 0 && len(opts.Personas) > 0 {
			p.groupUser = opts.Personas[0].User.ID
		}
	}
	return p
}

// Path is where the page is, below the root the playground is mounted at.
const Path = "/playground/"

// staticFiles are the page's assets; nothing else is served from the
// embedded tree (no directory listings).
var staticFiles = map[string]string{
	"index.html": "text/html; charset=utf-8",
	"app.js":     "text/javascript; charset=utf-8",
	"webchat.js": "text/javascript; charset=utf-8",
	"zalo.js":    "text/javascript; charset=utf-8",
	"desk.js":    "text/javascript; charset=utf-8",
	"style.css":  "text/css; charset=utf-8",
	"icon.svg":   "image/svg+xml",
}

const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (p *Playground) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	switch rest, ours := strings.CutPrefix(r.URL.Path, "/playground"); {
	case r.URL.Path == "/" || r.URL.Path == "/playground":
		http.Redirect(w, r, Path, http.StatusFound)
	case !ours || !strings.HasPrefix(rest, "/"):
		writeError(w, &webError{status: http.StatusNotFound, msg: "Not Found"})
	case strings.HasPrefix(rest, "/api/"):
		p.serveAPI(w, r, strings.TrimPrefix(rest, "/api/"))
	case rest == "/events":
		p.serveEvents(w, r)
	default:
		p.serveStatic(w, r, strings.TrimPrefix(rest, "/"))
	}
}

func (p *Playground) serveStatic(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" {
		name = "index.html"
	}
	ctype, ok := staticFiles[path.Clean(name)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := fs.ReadFile(p.static, name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", contentSecurityPolicy+p.frameSrc())
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// poke wakes the event streams after a change of the page's own state,
// which the test server does not announce.
func (p *Playground) poke() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Playground) pageChanged() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

var vietnameseNames = []string{
	"An", "Bình", "Cường", "Dũng", "Duy", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hoàng",
	"Hùng", "Hương", "Huy", "Khánh", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga",
	"Ngọc", "Nhung", "Phong", "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng",
	"Thành", "Thu", "Thủy", "Toàn", "Trang", "Trung", "Tuấn", "Tùng", "Vân", "Việt", "Yến",
}

func (p *Playground) randomName() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return vietnameseNames[p.rnd.IntN(len(vietnameseNames))]
}
