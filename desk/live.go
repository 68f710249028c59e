package desk

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"reentrybot/store"
)

// Live updates (server-sent events): the queue and case pages open
// /live and receive their changed parts, rendered here through the same
// scoped reads as the pages, so a browser never gets anything of a case
// outside its member's scope; without JavaScript a reload shows the same.
//
// How a change is noticed: one poller per process reads case_events and
// cases by id, about once a second, while at least one browser listens.
// LISTEN/NOTIFY would be quicker, but it needs a connection of its own
// dialled from a URL (lib/pq's Listener) that the store does not keep,
// loses what is sent while it reconnects (so a poll by id is needed
// anyway to catch up), and a trigger on every case event. The poll is one
// indexed query per second per process whatever the number of browsers,
// and sees what any process wrote (Telegram intake, the relay, the web).

//go:embed static/live.js
var liveJS []byte

const (
	defaultLivePoll  = time.Second
	defaultLiveCheck = 15 * time.Second
	// gapWait is how long an id missing below ones already seen may still
	// commit (a transaction that took its id earlier and commits later);
	// after it, the id is taken as rolled back.
	gapWait = 30 * time.Second
	// pollLimit bounds one read of each table.
	pollLimit = 1000
)

// hub polls for case changes and hands each to every listening browser.
type hub struct {
	db    *store.DB
	log   *slog.Logger
	every time.Duration

	mu     sync.Mutex
	subs   map[*listener]struct{}
	cancel context.CancelFunc // the poller's, while it runs
	quit   chan struct{}      // closed by Close: every stream ends
	closed bool
}

// listener is one browser's stream; lagged means changes were dropped
// (the stream was slow) and the page must be rendered anyway.
type listener struct {
	ch     chan store.CaseChange
	mu     sync.Mutex
	lagged bool
}

func newHub(db *store.DB, log *slog.Logger, every time.Duration) *hub {
	return &hub{db: db, log: log, every: every, subs: map[*listener]struct{}{}, quit: make(chan struct{})}
}

// Close ends the live streams, so that a server's graceful shutdown
// (which waits for requests to finish) does not wait for them: register
// it with http.Server.RegisterOnShutdown. The browsers reconnect to the
// next process.
func (s *Server) Close() {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	if !s.live.closed {
		s.live.closed = true
		close(s.live.quit)
	}
}

// subscribe adds a listener, starting the poller for the first. The
// poller's starting point is read before subscribe returns: the caller
// renders the page's state after it, so nothing falls between.
func (h *hub) subscribe(ctx context.Context) (*listener, error) {
	l := &listener{ch: make(chan store.CaseChange, 64)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cancel == nil {
		c, e, err := h.db.LastCaseChange(ctx)
		if err != nil {
			return nil, err
		}
		pctx, cancel := context.WithCancel(context.Background())
		h.cancel = cancel
		go h.poll(pctx, newCursor(c), newCursor(e))
	}
	h.subs[l] = struct{}{}
	return l, nil
}

// unsubscribe removes a listener; the last one stops the poller.
func (h *hub) unsubscribe(l *listener) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, l)
	if len(h.subs) == 0 && h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
}

func (h *hub) publish(c store.CaseChange) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for l := range h.subs {
		select {
		case l.ch <- c:
		default:
			l.mu.Lock()
			l.lagged = true
			l.mu.Unlock()
		}
	}
}

// cursor follows one table's ids: every id up to at was handled (seen,
// or missing for longer than gapWait); seen are those handled above it,
// gaps the missing ones above it with when they were first missed.
type cursor struct {
	at   int64
	seen map[int64]bool
	gaps map[int64]time.Time
}

func newCursor(at int64) *cursor {
	return &cursor{at: at, seen: map[int64]bool{}, gaps: map[int64]time.Time{}}
}

// fresh reports whether id is new, and records it.
func (c *cursor) fresh(id int64) bool {
	if id <= c.at || c.seen[id] {
		return false
	}
	c.seen[id] = true
	delete(c.gaps, id)
	return true
}

// advance notes the gaps below the highest id seen and moves at past what
// is done. now is the machine's clock: gapWait is an elapsed time.
func (c *cursor) advance(now time.Time) {
	top := c.at
	for id := range c.seen {
		top = max(top, id)
	}
	if top-c.at > 10*pollLimit { // a jump this large is rolled-back ids, not a burst in flight
		c.at, c.seen, c.gaps = top, map[int64]bool{}, map[int64]time.Time{}
		return
	}
	for id := c.at + 1; id < top; id++ {
		if _, ok := c.gaps[id]; !ok && !c.seen[id] {
			c.gaps[id] = now
		}
	}
	for {
		next := c.at + 1
		if c.seen[next] {
			delete(c.seen, next)
		} else if t, ok := c.gaps[next]; ok && now.Sub(t) > gapWait {
			delete(c.gaps, next)
		} else {
			return
		}
		c.at = next
	}
}

// poll reads the changes until ctx ends. A read error is logged and the
// next tick tries again from the same place.
func (h *hub) poll(ctx context.Context, cases, events *cursor) {
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		changes, err := h.db.CaseChangesSince(ctx, cases.at, events.at, pollLimit)
		if err != nil && ctx.Err() == nil {
			h.log.Warn("desk live: reading case changes", "err", err)
		}
		for _, c := range changes {
			cur, id := events, c.Event
			if c.Event == 0 {
				cur, id = cases, c.Case
			}
			if cur.fresh(id) {
				h.publish(c)
			}
		}
		now := time.Now()
		cases.advance(now)
		events.advance(now)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// liveStream streams a page's changed parts: the queue, or with ?case=N that
// case's card, history and actions. The stream ends (an "end" event, on
// which the page reloads) when the session ends, idles out or its member
// is revoked, checked before each update and every LiveCheck.
func (s *Server) liveStream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 100 {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	token := hashToken(c.Value)
	// The stream's language follows the member's account, read again
	// whenever the session is (streamLang): a language picked on another
	// browser or tab reaches this page's parts without a reload. Until the
	// member picks one, it is the page's (its cookie, else the browser's).
	lang := s.lang(r)
	sess, ok := s.session(r)
	if !ok {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	if !sess.HandlesCases() {
		http.Error(w, "no cases", http.StatusForbidden)
		return
	}
	var id int64
	if v := r.URL.Query().Get("case"); v != "" {
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		cs, err := s.db.CaseByID(ctx, id)
		if err != nil || inScope(sess, cs) != nil {
			if err == nil {
				s.denied(ctx, sess, id, "view")
			}
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
	}

	l, err := s.live.subscribe(ctx)
	if err != nil {
		s.log.Error("desk live: starting", "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	defer s.live.unsubscribe(l)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives any write timeout
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("X-Accel-Buffering", "no") // the reverse proxy must not hold events back
	w.WriteHeader(http.StatusOK)

	check := time.NewTicker(s.opt.LiveCheck)
	defer check.Stop()

	// send renders the page's parts for the member as the session is now;
	// false ends the stream.
	send := func() bool {
		now, ok, err := s.db.DeskSessionLive(ctx, token, s.opt.IdleTimeout)
		if err != nil {
			// The database is away: the stream closes without "end" and the
			// browser reconnects by itself a few seconds later.
			if ctx.Err() == nil {
				s.log.Warn("desk live: checking the session", "err", err)
			}
			return false
		}
		if !ok || !now.HandlesCases() {
			fmt.Fprint(w, "event: end\ndata: {}\n\n")
			_ = rc.Flush()
			return false
		}
		sess = now // a changed scope counts from here
		lang = s.streamLang(ctx, sess.ID, lang)
		parts, err := s.liveParts(ctx, sess, id, lang)
		if errors.Is(err, errOutOfScope) || errors.Is(err, store.ErrNotFound) {
			fmt.Fprint(w, "event: end\ndata: {}\n\n")
			_ = rc.Flush()
			return false
		}
		if err != nil {
			s.log.Warn("desk live: rendering", "err", err)
			return ctx.Err() == nil
		}
		b, _ := json.Marshal(parts)
		fmt.Fprintf(w, "event: update\ndata: %s\n\n", b)
		return rc.Flush() == nil
	}
	// The page may have been rendered before this stream began: the first
	// update closes that gap.
	if !send() {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.live.quit:
			return
		case <-check.C:
			now, ok, err := s.db.DeskSessionLive(ctx, token, s.opt.IdleTimeout)
			if err == nil && (!ok || !now.HandlesCases()) {
				fmt.Fprint(w, "event: end\ndata: {}\n\n")
				_ = rc.Flush()
				return
			}
			// A language picked elsewhere since the last update: the parts
			// again, in it, without waiting for a change of the cases.
			if err == nil && s.streamLang(ctx, now.ID, lang) != lang {
				if !send() {
					return
				}
				continue
			}
			fmt.Fprint(w, ": ping\n\n") // keeps proxies from closing an idle stream
			if rc.Flush() != nil {
				return
			}
		case c := <-l.ch:
			l.mu.Lock()
			lagged := l.lagged
			l.lagged = false
			l.mu.Unlock()
			if !lagged && !s.concerns(sess, id, c) {
				continue
			}
			if !send() {
				return
			}
		}
	}
}

// streamLang is the language kept on the member's account, or was when
// they have none (or it cannot be read just now: the stream goes on as it
// was rather than end).
func (s *Server) streamLang(ctx context.Context, staffID int64, was string) string {
	l, err := s.db.DeskLanguage(ctx, staffID)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("desk live: reading the language", "staff", staffID, "err", err)
		}
		return was
	}
	if l != "vi" && l != "en" {
		return was
	}
	return l
}

// concerns reports whether a change matters to the page: the case shown,
// or for the queue any case in the member's scope (a change outside it
// does not even make the page render, so its timing tells nothing).
func (s *Server) concerns(sess store.DeskSession, id int64, c store.CaseChange) bool {
	if id != 0 {
		return c.Case == id
	}
	return sess.InScope(c.Commune.String)
}

// livePart is one element's new content; State, when set, says which
// version it is, and the page keeps its element (with what is typed in it)
// when the state is the same.
type livePart struct {
	HTML  string `json:"html"`
	State string `json:"state,omitempty"`
}

// liveParts renders the queue's list (id 0) or a case's parts in lang,
// reading them with the member's scope as it is now.
func (s *Server) liveParts(ctx context.Context, sess store.DeskSession, id int64, lang string) (map[string]livePart, error) {
	if id == 0 {
		rows, err := s.queueRows(ctx, sess, lang)
		if err != nil {
			return nil, err
		}
		html, err := s.part("queue", "live-queue", lang, map[string]any{"Sess": sess, "Rows": rows})
		return map[string]livePart{"live-queue": {HTML: html}}, err
	}
	c, err := s.db.CaseByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := inScope(sess, c); err != nil {
		return nil, err
	}
	data, err := s.caseData(ctx, sess, c, lang)
	if err != nil {
		return nil, err
	}
	out := map[string]livePart{}
	for _, name := range []string{"live-card", "live-history", "live-actions"} {
		html, err := s.part("case", name, lang, data)
		if err != nil {
			return nil, err
		}
		out[name] = livePart{HTML: html}
	}
	out["live-actions"] = livePart{HTML: out["live-actions"].HTML, State: data["State"].(string)}
	return out, nil
}

// part renders one named template of a page in lang.
func (s *Server) part(page, name, lang string, data map[string]any) (string, error) {
	t := s.pages[page]
	if s.translated[lang][page] != nil {
		t = s.translated[lang][page]
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("rendering %s of %s: %w", name, page, err)
	}
	return b.String(), nil
}

// liveScript serves the page's small script (no build chain; ES5, so an
// old office browser runs it, and one without EventSource simply does not
// update live).
func (s *Server) liveScript(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	w.Write(liveJS)
}
