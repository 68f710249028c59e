package zalotest

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type clk struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clk) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clk) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func call(t *testing.T, s *Server, path, token string, body any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL+path, bytes.NewReader(b))
	req.Header.Set("access_token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error int `json:"error"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("%s: HTTP %d", path, resp.StatusCode)
	}
	return out.Error
}

func text(user, s string) map[string]any {
	return map[string]any{"recipient": map[string]string{"user_id": user}, "message": map[string]any{"text": s}}
}

func buttons(user string, n int, title string) map[string]any {
	var bs []map[string]string
	for range n {
		bs = append(bs, map[string]string{"title": title, "type": "oa.query.hide", "payload": "x"})
	}
	return map[string]any{"recipient": map[string]string{"user_id": user}, "message": map[string]any{"text": "Chọn",
		"attachment": map[string]any{"type": "template", "payload": map[string]any{"buttons": bs}}}}
}

// The fake refuses what Zalo refuses, with HTTP 200 and the error in the
// body: a bad or expired token, overlong text, too many or too long
// buttons, a user outside the window or past 8 replies, an unfollower;
// ZNS outside the allowed hours (transactions excepted), an unknown
// template, a phone not in 84… form; files of other types or too large.
func TestStrictness(t *testing.T) {
	c := &clk{t: time.Date(2026, 11, 16, 9, 0, 0, 0, vn)}
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()
	s := New(Options{Now: c.now, Templates: map[string]int{"care": TagCare, "tx": TagTransaction}})
	defer s.Close()
	s.SetWebhook(hook.URL)
	tok, _, _ := s.IssueTokens()
	u := s.AddFollower("An")
	quiet := s.AddFollower("Bình")
	if _, err := s.SendText(u.ID, "xin chào"); err != nil {
		t.Fatal(err)
	}
	cs := "/v3.0/oa/message/cs"
	tests := []struct {
		name  string
		path  string
		token string
		body  any
		want  int
	}{
		{"ok", cs, tok, text(u.ID, "Chào bạn"), 0},
		{"no token", cs, "", text(u.ID, "x"), ErrBadToken},
		{"forged token", cs, "at1forged", text(u.ID, "x"), ErrBadToken},
		{"text of 2001", cs, tok, text(u.ID, strings.Repeat("a", 2001)), ErrTextTooLong},
		{"text of 2000", cs, tok, text(u.ID, strings.Repeat("ă", 2000)), 0},
		{"empty text", cs, tok, text(u.ID, ""), ErrBadParam},
		{"5 buttons", cs, tok, buttons(u.ID, 5, "Có"), 0},
		{"6 buttons", cs, tok, buttons(u.ID, 6, "Có"), ErrBadParam},
		{"title of 101", cs, tok, buttons(u.ID, 1, strings.Repeat("a", 101)), ErrBadParam},
		{"never wrote", cs, tok, text(quiet.ID, "x"), ErrOutsideWindow},
		{"unknown user", cs, tok, text("42", "x"), ErrBadParam},
		{"zns ok", "/message/template", tok, map[string]any{"phone": "84912345678", "template_id": "care", "template_data": map[string]string{"message": "x"}, "tracking_id": "1"}, 0},
		{"zns template unknown", "/message/template", tok, map[string]any{"phone": "84912345678", "template_id": "nope", "template_data": map[string]string{"message": "x"}, "tracking_id": "1"}, ErrNoTemplate},
		{"zns phone 0…", "/message/template", tok, map[string]any{"phone": "0912345678", "template_id": "care", "template_data": map[string]string{"message": "x"}, "tracking_id": "1"}, ErrBadPhone},
		{"zns param of 401", "/message/template", tok, map[string]any{"phone": "84912345678", "template_id": "care", "template_data": map[string]string{"message": strings.Repeat("a", 401)}, "tracking_id": "1"}, ErrBadParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := call(t, s, tt.path, tt.token, tt.body); got != tt.want {
				t.Fatalf("error %d, want %d", got, tt.want)
			}
		})
	}
	// Eight replies since the last interaction at most (three went above).
	for sent := 3; sent < MaxFreeReplies; sent++ {
		if got := call(t, s, cs, tok, text(u.ID, "x")); got != 0 {
			t.Fatalf("reply %d: %d", sent+1, got)
		}
	}
	if got := call(t, s, cs, tok, text(u.ID, "x")); got != ErrOutsideWindow {
		t.Fatalf("a ninth reply: %d", got)
	}
	// 48 h later the window is shut even after a new day's first reply.
	s.SendText(u.ID, "lại đây")
	c.add(48 * time.Hour)
	tok, _, _ = s.IssueTokens() // the first expired after 25 h
	if got := call(t, s, cs, tok, text(u.ID, "x")); got != ErrOutsideWindow {
		t.Fatalf("48 h after: %d", got)
	}
	// 23:00: care templates wait, transactions go.
	c.add(14 * time.Hour)
	zns := func(tpl string) int {
		return call(t, s, "/message/template", tok, map[string]any{"phone": "84912345678", "template_id": tpl, "template_data": map[string]string{"message": "x"}, "tracking_id": "2"})
	}
	if got := zns("care"); got != ErrQuietHours {
		t.Fatalf("care at 23:00: %d", got)
	}
	if got := zns("tx"); got != 0 {
		t.Fatalf("transaction at 23:00: %d", got)
	}
	// The access token expires after 25 h.
	c.add(25 * time.Hour)
	if got := zns("tx"); got != ErrBadToken {
		t.Fatalf("an expired token: %d", got)
	}
	// Unfollowed.
	tok2, _, _ := s.IssueTokens()
	s.Unfollow(u.ID)
	if got := call(t, s, cs, tok2, text(u.ID, "x")); got != ErrUserUnfollowed {
		t.Fatalf("to an unfollower: %d", got)
	}
	// Files.
	for _, f := range []struct {
		name string
		size int
		want int
	}{{"cv.pdf", 1000, 0}, {"cv.docx", 1000, 0}, {"cv.exe", 1000, ErrBadParam}, {"big.pdf", MaxFileBytes + 1, ErrBadParam}} {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		w, _ := mw.CreateFormFile("file", f.name)
		w.Write(bytes.Repeat([]byte("a"), f.size))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2.0/oa/upload/file", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("access_token", tok2)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Error int `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if out.Error != f.want {
			t.Errorf("upload %s: %d, want %d", f.name, out.Error, f.want)
		}
	}
}

// Refresh tokens work once; a second use is reported and revokes the
// pair made from the first.
func TestRefreshRotation(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	a, r, _ := s.IssueTokens()
	o := s.Options()
	refresh := func(rt string) (string, int) {
		form := url.Values{"app_id": {o.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {rt}}
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v4/oa/access_token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("secret_key", o.AppSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Access    string `json:"access_token"`
			ExpiresIn string `json:"expires_in"`
			Error     int    `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&out)
		if out.Error == 0 && out.ExpiresIn != "90000" {
			t.Errorf("expires_in %q", out.ExpiresIn)
		}
		return out.Access, out.Error
	}
	a2, code := refresh(r)
	if code != 0 || a2 == "" || a2 == a {
		t.Fatalf("first refresh: %q %d", a2, code)
	}
	if _, code := refresh(r); code != ErrBadRefresh {
		t.Fatalf("reuse: %d", code)
	}
	if ok, reused := s.Refreshes(); ok != 1 || reused != 1 {
		t.Fatalf("%d refreshes, %d reuses", ok, reused)
	}
	u := s.AddFollower("An")
	s.SetWebhook("")
	if got := call(t, s, "/v3.0/oa/message/cs", a2, text(u.ID, "x")); got != ErrBadToken {
		t.Fatalf("the pair made before the reuse still works: %d", got)
	}
}
