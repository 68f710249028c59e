package botapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-telegram/bot/models"
)

type pendingUpdate struct {
	id   int64
	kind string // "message", "callback_query", ...
	body json.RawMessage
}

func (s *Server) enqueueLocked(upd models.Update) int64 {
	s.nextUpdateID++
	upd.ID = s.nextUpdateID
	body, err := json.Marshal(&upd)
	if err != nil {
		panic("botapitest: marshal update: " + err.Error())
	}
	s.pushLocked(upd.ID, body)
	return upd.ID
}

func (s *Server) pushLocked(id int64, body []byte) {
	s.updates = append(s.updates, pendingUpdate{id: id, kind: updateKind(body), body: body})
	s.wakeLocked()
}

func updateKind(body []byte) string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m)
	for k := range m {
		if k != "update_id" {
			return k
		}
	}
	return ""
}

// InjectUpdate queues an arbitrary update (its ID is assigned) and returns
// its update_id. It fails if the update cannot be marshalled, e.g. a
// ChatMember or MessageOrigin without its Type.
func (s *Server) InjectUpdate(upd models.Update) (int64, error) {
	if _, err := json.Marshal(&upd); err != nil {
		return 0, fmt.Errorf("botapitest: marshal update: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enqueueLocked(upd), nil
}

// InjectRawUpdate queues a raw update JSON object; update_id is overwritten.
func (s *Server) InjectRawUpdate(raw json.RawMessage) (int64, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return 0, fmt.Errorf("botapitest: update must be a JSON object: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdateID++
	id := s.nextUpdateID
	m["update_id"] = json.RawMessage(fmt.Sprint(id))
	body, _ := json.Marshal(m)
	s.pushLocked(id, body)
	return id, nil
}

// allowedLocked applies allowed_updates; by default Telegram withholds
// chat_member and reaction updates.
func (s *Server) allowedLocked(kind string) bool {
	if len(s.allowed) == 0 {
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return slices.Contains(s.allowed, kind)
}

// dropDisallowedLocked forgets updates the bot did not ask for.
func (s *Server) dropDisallowedLocked() {
	s.updates = slices.DeleteFunc(s.updates, func(u pendingUpdate) bool { return !s.allowedLocked(u.kind) })
}

// Unconfirmed reports how many updates the server still holds for the
// bot: delivered or not, not yet confirmed by a getUpdates with a higher
// offset (as Telegram keeps them for 24 hours).
func (s *Server) Unconfirmed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

func (s *Server) getUpdatesMethod(ctx context.Context, p *params) (any, *apiError) {
	offset, e := p.integer("offset")
	if e != nil {
		return nil, e
	}
	limit, e := p.integer("limit")
	if e != nil {
		return nil, e
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, e := p.integer("timeout")
	if e != nil {
		return nil, e
	}
	var allowed []string
	hasAllowed, err := p.jsonField("allowed_updates", &allowed)
	if err != nil {
		return nil, badRequest("can't parse allowed updates")
	}
	conflict := &apiError{Code: 409, Desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}

	s.mu.Lock()
	if s.hook.url != "" {
		s.mu.Unlock()
		return nil, conflict
	}
	if hasAllowed {
		s.allowed = allowed
	}
	s.dropDisallowedLocked()
	switch {
	case offset > 0:
		s.updates = slices.DeleteFunc(s.updates, func(u pendingUpdate) bool { return u.id < offset })
	case offset < 0 && int64(len(s.updates)) > -offset:
		s.updates = s.updates[int64(len(s.updates))+offset:]
	}
	var expire <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		expire = t.C
	}
	for {
		s.dropDisallowedLocked()
		out := make([]json.RawMessage, 0, min(len(s.updates), int(limit)))
		for _, u := range s.updates[:min(len(s.updates), int(limit))] {
			out = append(out, u.body)
		}
		if len(out) > 0 || expire == nil || s.closed {
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-expire:
			return out, nil
		case <-ctx.Done():
			return out, nil
		}
		s.mu.Lock()
		if s.hook.url != "" {
			s.mu.Unlock()
			return nil, conflict
		}
	}
}

type webhookState struct {
	url         string
	secret      string
	targets     []string
	rr          int
	maxConn     int
	lastErrDate time.Time
	lastErrMsg  string
}

func validSecret(s string) bool {
	if len(s) > 256 {
		return false
	}
	for _, c := range []byte(s) {
		if !isAlnum(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func (s *Server) setWebhook(_ context.Context, p *params) (any, *apiError) {
	raw := p.str("url")
	drop := p.boolean("drop_pending_updates")
	if raw == "" {
		return s.removeWebhook(drop), nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret := p.str("secret_token")
	if !validSecret(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	var allowed []string
	hasAllowed, err := p.jsonField("allowed_updates", &allowed)
	if err != nil {
		return nil, badRequest("can't parse allowed updates")
	}
	maxConn, e := p.integer("max_connections")
	if e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Webhook was set"
	if s.hook.url == raw {
		desc = "Webhook is already set"
	}
	s.hook.url, s.hook.secret, s.hook.maxConn = raw, secret, int(maxConn)
	if hasAllowed {
		s.allowed = allowed
	}
	if drop {
		s.updates = nil
	}
	s.wakeLocked()
	return okResult{result: true, desc: desc}, nil
}

func (s *Server) removeWebhook(drop bool) okResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	desc := "Webhook was deleted"
	if s.hook.url == "" {
		desc = "Webhook is already deleted"
	}
	s.hook.url, s.hook.secret = "", ""
	if drop {
		s.updates = nil
	}
	s.wakeLocked()
	return okResult{result: true, desc: desc}
}

func (s *Server) deleteWebhook(_ context.Context, p *params) (any, *apiError) {
	return s.removeWebhook(p.boolean("drop_pending_updates")), nil
}

func (s *Server) getWebhookInfo(_ context.Context, _ *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := models.WebhookInfo{URL: s.hook.url, PendingUpdateCount: len(s.updates), LastErrorMessage: s.hook.lastErrMsg}
	if !s.hook.lastErrDate.IsZero() {
		info.LastErrorDate = int(s.hook.lastErrDate.Unix())
	}
	if s.hook.url != "" {
		info.MaxConnections = s.hook.maxConn
		if info.MaxConnections == 0 {
			info.MaxConnections = 40
		}
		info.AllowedUpdates = s.allowed
	}
	return info, nil
}

// SetWebhookTargets makes webhook deliveries go round-robin to urls instead
// of the URL given to setWebhook (which must still be set to enable
// delivery). No arguments restores the setWebhook URL.
func (s *Server) SetWebhookTargets(urls ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook.targets, s.hook.rr = append([]string(nil), urls...), 0
	s.wakeLocked()
}

// deliverLoop pushes pending updates to the webhook one at a time, oldest
// first, retrying the head with backoff so per-chat order is preserved.
func (s *Server) deliverLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		s.mu.Lock()
		upd, target, secret, ok := s.nextDeliveryLocked()
		ch := s.changed
		s.mu.Unlock()
		if !ok {
			select {
			case <-ch:
				continue
			case <-s.ctx.Done():
				return
			}
		}

		status, err := s.post(target, secret, upd.body)
		s.mu.Lock()
		d := Delivery{UpdateID: upd.id, URL: target, Status: status, At: s.now()}
		if err != nil {
			d.Err = err.Error()
		}
		s.deliveries = append(s.deliveries, d)
		if err == nil && status >= 200 && status < 300 {
			s.updates = slices.DeleteFunc(s.updates, func(u pendingUpdate) bool { return u.id == upd.id })
			backoff = 0
		} else {
			s.hook.lastErrDate = s.now()
			if err != nil {
				s.hook.lastErrMsg = "Connection refused"
			} else {
				s.hook.lastErrMsg = fmt.Sprintf("Wrong response from the webhook: %d %s", status, http.StatusText(status))
			}
			backoff = min(max(backoff*2, 100*time.Millisecond), 2*time.Second)
		}
		s.wakeLocked()
		s.mu.Unlock()
		if backoff > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.ctx.Done():
				t.Stop()
				return
			}
		}
	}
}

func (s *Server) nextDeliveryLocked() (pendingUpdate, string, string, bool) {
	if s.closed || s.hook.url == "" {
		return pendingUpdate{}, "", "", false
	}
	s.dropDisallowedLocked()
	if len(s.updates) == 0 {
		return pendingUpdate{}, "", "", false
	}
	target := s.hook.url
	if n := len(s.hook.targets); n > 0 {
		target = s.hook.targets[s.hook.rr%n]
		s.hook.rr++
	}
	return s.updates[0], target, s.hook.secret, true
}

func (s *Server) post(target, secret string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}
