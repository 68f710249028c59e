package playground

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"reentrybot/botapitest"
)

// serveEvents streams changes as Server-Sent Events:
//
//	event: message | edited | deleted   data: {"type":..., "message": webMessage}
//	event: meta                         data: webMeta (users, blocked flags, topics)
//	event: zalo                         data: webZalo (the Zalo columns, whole)
//
// plus a ": keep-alive" comment every keepAlive. A client that reconnects
// re-fetches api/state, since events are not replayed (and Subscribe drops
// events for a subscriber that falls 256 behind). The stream ends when the
// client goes away or the Server closes.
func (p *Playground) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeError(w, &webError{status: http.StatusMethodNotAllowed, msg: "use GET"})
		return
	}
	fl, canFlush := w.(http.Flusher)
	if !canFlush {
		writeError(w, &webError{status: http.StatusInternalServerError, msg: "streaming unsupported"})
		return
	}
	p.streams.Add(1)
	defer p.streams.Add(-1)
	events, unsubscribe := p.s.Subscribe()
	defer unsubscribe()
	// The change channels are taken before each look at the state, so a
	// change made while the state is read still wakes the next select.
	changed, pageChanged := p.s.Changed(), p.pageChanged()
	lastMeta, _ := json.Marshal(p.meta())
	lastZalo, _ := json.Marshal(p.zaloState())

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 1000\n: connected\n\n"); err != nil {
		return
	}
	fl.Flush()

	keepAlive := time.NewTicker(p.keepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-p.s.Done():
			return
		default:
		}
		var err error
		select {
		case ev, open := <-events:
			if !open {
				return
			}
			err = p.writeMessageEvent(w, ev)
		case <-changed:
		case <-pageChanged:
		case <-keepAlive.C:
			_, err = fmt.Fprint(w, ": keep-alive\n\n")
		case <-r.Context().Done():
			return
		case <-p.s.Done():
			return
		}
		changed, pageChanged = p.s.Changed(), p.pageChanged()
		if err == nil {
			// Topics, users and blocked flags have no events of their
			// own: compare them after every change.
			if meta, _ := json.Marshal(p.meta()); string(meta) != string(lastMeta) {
				lastMeta = meta
				_, err = fmt.Fprintf(w, "event: meta\ndata: %s\n\n", meta)
			}
		}
		if err == nil && p.zalo != nil {
			if z, _ := json.Marshal(p.zaloState()); string(z) != string(lastZalo) {
				lastZalo = z
				_, err = fmt.Fprintf(w, "event: zalo\ndata: %s\n\n", z)
			}
		}
		if err != nil {
			return
		}
		fl.Flush()
	}
}

func (p *Playground) writeMessageEvent(w http.ResponseWriter, ev botapitest.Event) error {
	wm := p.webMessage(ev.Message)
	data, err := json.Marshal(struct {
		Type    string     `json:"type"`
		Message webMessage `json:"message"`
	}{ev.Type, wm})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data)
	return err
}
