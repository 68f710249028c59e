package zalo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"reentrybot/channel"
	"reentrybot/store"
)

// apiError is Zalo's refusal: the "error" of a body that may well have
// come with HTTP 200.
type apiError struct {
	Code int
	Msg  string
}

func (e *apiError) Error() string { return fmt.Sprintf("zalo error %d: %s", e.Code, e.Msg) }

// Codes seen in the wild (no list is published for all of them).
func badToken(code int) bool {
	return code == -216 || code == 216 || code == -401 || code == 401 || code == -124
}

// channelError sorts an error of a send for the bot's rules.
func channelError(err error) *channel.Error {
	var ae *apiError
	if !errors.As(err, &ae) {
		var ce *channel.Error
		if errors.As(err, &ce) {
			return ce
		}
		return &channel.Error{Kind: channel.Transient, Reason: err.Error()}
	}
	switch ae.Code {
	case -213, -217, -227:
		return &channel.Error{Kind: channel.Unreachable, Reason: ae.Error()}
	case -230, -232:
		return &channel.Error{Kind: channel.NotDelivered, Reason: "outside Zalo's window: " + ae.Msg}
	case -234:
		return &channel.Error{Kind: channel.NotDelivered, Reason: "not allowed at this hour: " + ae.Msg}
	case -32:
		return &channel.Error{Kind: channel.Throttled, Retry: time.Minute, Reason: ae.Error()}
	}
	if badToken(ae.Code) {
		return &channel.Error{Kind: channel.NotDelivered, Reason: "the Zalo OA's token is refused: " + ae.Msg}
	}
	return &channel.Error{Kind: channel.Permanent, Reason: ae.Error()}
}

// call makes an authenticated API call (body nil: GET) and decodes the
// answer's data into out. A refused token is refreshed and the call made
// once more.
func (c *Channel) call(ctx context.Context, method, u string, body, out any) error {
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encoding a Zalo request: %w", err)
		}
	}
	return c.authed(ctx, func(tok string) (*http.Request, error) {
		var rd io.Reader
		if b != nil {
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("access_token", tok)
		if b != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, nil
	}, out)
}

// authed sends the request build makes with the access token, decoding
// the answer's data into out; a refused token is refreshed and a new
// request built and sent once more (JSON calls and multipart uploads
// alike).
func (c *Channel) authed(ctx context.Context, build func(tok string) (*http.Request, error), out any) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.accessToken(ctx)
		if err != nil {
			return err
		}
		req, err := build(tok)
		if err != nil {
			return err
		}
		err = c.do(req, out)
		var ae *apiError
		if attempt == 0 && errors.As(err, &ae) && badToken(ae.Code) {
			c.log.Warn("zalo: access token refused, refreshing", "err", err)
			if _, rerr := c.refresh(ctx, tok); rerr != nil {
				return rerr
			}
			continue
		}
		return err
	}
}

func (c *Channel) do(req *http.Request, out any) error {
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("calling Zalo %s: %w", req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading Zalo's answer to %s: %w", req.URL.Path, err)
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return &channel.Error{Kind: channel.Transient, Reason: fmt.Sprintf("Zalo %s: HTTP %d", req.URL.Path, resp.StatusCode)}
	}
	var env struct {
		Error   int             `json:"error"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("Zalo %s answered HTTP %d with no JSON: %w", req.URL.Path, resp.StatusCode, err)
	}
	if env.Error != 0 {
		return &apiError{Code: env.Error, Msg: env.Message}
	}
	if resp.StatusCode != http.StatusOK {
		return &apiError{Code: -resp.StatusCode, Msg: "HTTP " + resp.Status}
	}
	if out != nil && len(env.Data) > 0 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return fmt.Errorf("decoding Zalo's answer to %s: %w", req.URL.Path, err)
		}
	}
	return nil
}

// tokenAnswer is OAuth v4's answer; expires_in is a string.
type tokenAnswer struct {
	AccessToken      string `json:"access_token"`
	RefreshToken     string `json:"refresh_token"`
	ExpiresIn        string `json:"expires_in"`
	RefreshExpiresIn string `json:"refresh_token_expires_in"`
	Error            int    `json:"error"`
	ErrorName        string `json:"error_name"`
	ErrorDesc        string `json:"error_description"`
	Message          string `json:"message"`
}

// errRefreshUnusable means the refresh token cannot give a new pair
// (expired, used, revoked): an admin must connect the OA again.
type errRefreshUnusable struct{ why string }

func (e *errRefreshUnusable) Error() string { return "the Zalo refresh token is unusable: " + e.why }

// grant asks OAuth v4 for a pair (grant_type and its fields in form).
func (c *Channel) grant(ctx context.Context, form url.Values) (store.ZaloToken, error) {
	form.Set("app_id", c.cfg.AppID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.OAuthURL+"/v4/oa/access_token", bytes.NewBufferString(form.Encode()))
	if err != nil {
		return store.ZaloToken{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("secret_key", c.cfg.AppSecret)
	resp, err := c.client.Do(req)
	if err != nil {
		return store.ZaloToken{}, fmt.Errorf("calling Zalo OAuth: %w", err)
	}
	defer resp.Body.Close()
	var a tokenAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&a); err != nil {
		return store.ZaloToken{}, fmt.Errorf("Zalo OAuth answered HTTP %d with no JSON: %w", resp.StatusCode, err)
	}
	if resp.StatusCode >= 500 {
		return store.ZaloToken{}, fmt.Errorf("zalo OAuth: HTTP %d", resp.StatusCode)
	}
	if a.Error != 0 || a.AccessToken == "" || a.RefreshToken == "" {
		why := fmt.Sprintf("error %d %s %s%s", a.Error, a.ErrorName, a.ErrorDesc, a.Message)
		return store.ZaloToken{}, &errRefreshUnusable{why: why}
	}
	secs, err := strconv.Atoi(a.ExpiresIn)
	if err != nil || secs <= 0 {
		return store.ZaloToken{}, fmt.Errorf("zalo OAuth: expires_in %q", a.ExpiresIn)
	}
	rsecs, err := strconv.Atoi(a.RefreshExpiresIn)
	if err != nil || rsecs <= 0 {
		rsecs = 90 * 24 * 3600 // three months, as documented
	}
	now := c.now()
	return store.ZaloToken{
		OAID: c.cfg.OAID, AccessToken: a.AccessToken, RefreshToken: a.RefreshToken,
		AccessExpiresAt: now.Add(time.Duration(secs) * time.Second), RefreshExpiresAt: now.Add(time.Duration(rsecs) * time.Second),
	}, nil
}

// DisplayName asks Zalo for a follower's name ("" when it cannot tell).
func (c *Channel) DisplayName(ctx context.Context, userID string) string {
	c.mu.Lock()
	n, ok := c.names[userID]
	c.mu.Unlock()
	if ok {
		return n
	}
	q, _ := json.Marshal(map[string]string{"user_id": userID})
	var out struct {
		Name string `json:"display_name"`
	}
	if err := c.call(ctx, http.MethodGet, c.cfg.APIURL+"/v3.0/oa/user/detail?data="+url.QueryEscape(string(q)), nil, &out); err != nil {
		c.log.Debug("zalo: display name", "user", userID, "err", err)
		return ""
	}
	c.mu.Lock()
	if len(c.names) > 10000 { // a cache, not a directory
		clear(c.names)
	}
	c.names[userID] = out.Name
	c.mu.Unlock()
	return out.Name
}
