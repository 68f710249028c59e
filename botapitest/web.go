package botapitest

import (
	"embed"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// The playground: a web page, served by the test server itself, where a
// person plays several Telegram users side by side (returnees, and staff
// personas with the counsellors' forum group). The page is plain HTML, CSS
// and JavaScript embedded below; it talks to a small JSON API under
// /playground/api/ and follows changes through Server-Sent Events at
// /playground/events. Everything it does goes through the same methods the
// Go tests use (SendText, PressButton, ShareContact, ...).

//go:embed web
var webFiles embed.FS

// PlaygroundOptions configures the playground. Nil or zero hooks hide the
// feature they drive.
type PlaygroundOptions struct {
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
}

// Persona is a pre-made user the playground shows as its own column.
type Persona struct {
	Label string // e.g. "Counsellor"
	User  User
	// Group shows the staff group (PlaygroundOptions.GroupChatID) in this
	// persona's column, acting in it as User.
	Group bool
}

// playground is the handler behind Playground and EnablePlayground.
type playground struct {
	s         *Server
	opts      PlaygroundOptions
	groupUser int64         // persona that acts in the group, 0 for none
	keepAlive time.Duration // SSE comment interval
	static    fs.FS

	mu     sync.Mutex
	hidden map[int64]bool // returnee columns closed on the page
	rnd    *rand.Rand
}

// Playground returns the playground handler. It expects to be mounted at
// the root of a server: it serves "/" (a redirect) and "/playground/...".
// Personas' users are registered on the server if they are not yet.
func (s *Server) Playground(opts PlaygroundOptions) http.Handler {
	return s.newPlayground(opts)
}

// EnablePlayground makes ServeHTTP, and so URL(), serve the playground at
// "/" and "/playground/" next to the Bot API at "/bot<token>/...". Calling it
// again replaces the configuration.
func (s *Server) EnablePlayground(opts PlaygroundOptions) {
	s.web.Store(s.newPlayground(opts))
}

// PlaygroundURL is the address of the playground page on this server (it
// answers only after EnablePlayground).
func (s *Server) PlaygroundURL() string { return s.url + "/playground/" }

func (s *Server) newPlayground(opts PlaygroundOptions) *playground {
	opts.Personas = append([]Persona(nil), opts.Personas...)
	static, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic("botapitest: embedded web files: " + err.Error())
	}
	p := &playground{
		s:         s,
		opts:      opts,
		keepAlive: 15 * time.Second,
		static:    static,
		hidden:    map[int64]bool{},
		rnd:       rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x9e3779b97f4a7c15)),
	}
	s.mu.Lock()
	for _, per := range opts.Personas {
		if per.User.ID > 0 {
			s.userChatLocked(per.User)
		}
	}
	s.mu.Unlock()
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

// ownsPath reports whether ServeHTTP hands path to the playground.
func ownsPath(p string) bool {
	return p == "/" || p == "/playground" || strings.HasPrefix(p, "/playground/")
}

// staticFiles are the page's assets; nothing else is served from the
// embedded tree (no directory listings).
var staticFiles = map[string]string{
	"index.html": "text/html; charset=utf-8",
	"app.js":     "text/javascript; charset=utf-8",
	"style.css":  "text/css; charset=utf-8",
	"icon.svg":   "image/svg+xml",
}

const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (p *playground) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	switch rest, _ := strings.CutPrefix(r.URL.Path, "/playground"); {
	case r.URL.Path == "/" || r.URL.Path == "/playground":
		http.Redirect(w, r, "/playground/", http.StatusFound)
	case strings.HasPrefix(rest, "/api/"):
		p.serveAPI(w, r, strings.TrimPrefix(rest, "/api/"))
	case rest == "/events":
		p.serveEvents(w, r)
	default:
		p.serveStatic(w, r, strings.TrimPrefix(rest, "/"))
	}
}

func (p *playground) serveStatic(w http.ResponseWriter, r *http.Request, name string) {
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
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// poke wakes everything that waits for a state change, the event streams
// included, after a change the Server itself does not announce.
func (p *playground) poke() {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	if !p.s.closed {
		p.s.wakeLocked()
	}
}

var vietnameseNames = []string{
	"An", "Bình", "Cường", "Dũng", "Duy", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hoàng",
	"Hùng", "Hương", "Huy", "Khánh", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam", "Nga",
	"Ngọc", "Nhung", "Phong", "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Thắng",
	"Thành", "Thu", "Thủy", "Toàn", "Trang", "Trung", "Tuấn", "Tùng", "Vân", "Việt", "Yến",
}

func (p *playground) randomName() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return vietnameseNames[p.rnd.IntN(len(vietnameseNames))]
}
