package zalotest

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
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
	code, _ := answer(t, req)
	return code
}

// answer makes the request and returns Zalo's error and the answer's
// data; an answer that is not HTTP 200 with JSON fails the test.
func answer(t *testing.T, req *http.Request) (int, map[string]string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Error int               `json:"error"`
		Data  map[string]string `json:"data"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("%s: HTTP %d", req.URL.Path, resp.StatusCode)
	}
	return out.Error, out.Data
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

// uploadAs posts data as the multipart field "file" to the upload path of
// kind; it returns Zalo's error and the answer's data.
func uploadAs(t *testing.T, s *Server, token, kind, name, mime string, data []byte) (int, map[string]string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", name))
	h.Set("Content-Type", mime)
	w, _ := mw.CreatePart(h)
	w.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v2.0/oa/upload/"+kind, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("access_token", token)
	return answer(t, req)
}

func media(user, text, id string) map[string]any {
	msg := map[string]any{"attachment": map[string]any{"type": "template", "payload": map[string]any{
		"template_type": "media", "elements": []map[string]string{{"media_type": "image", "attachment_id": id}}}}}
	if text != "" {
		msg["text"] = text
	}
	return map[string]any{"recipient": map[string]string{"user_id": user}, "message": msg}
}

func fileMsg(user, text, token string) map[string]any {
	msg := map[string]any{"attachment": map[string]any{"type": "file", "payload": map[string]string{"token": token}}}
	if text != "" {
		msg["text"] = text
	}
	return map[string]any{"recipient": map[string]string{"user_id": user}, "message": msg}
}

// Uploads answer as Zalo does (an image's attachment_id, a file's
// token); the consultation message takes the media template and the file
// attachment only with an id the fake issued, of the right kind, within
// 7 days, records what it carried and counts it as a reply.
func TestAttachments(t *testing.T) {
	c := &clk{t: time.Date(2026, 11, 16, 9, 0, 0, 0, vn)}
	s := New(Options{Now: c.now})
	defer s.Close()
	tok, _, _ := s.IssueTokens()
	u := s.AddFollower("An")
	if _, err := s.SendText(u.ID, "xin chào"); err != nil && !strings.Contains(err.Error(), "webhook") {
		t.Fatal(err)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	code, img := uploadAs(t, s, tok, "image", "anh.png", "image/png", png)
	if code != 0 || img["attachment_id"] == "" || img["token"] != "" {
		t.Fatalf("image upload: %d %v", code, img)
	}
	code, doc := uploadAs(t, s, tok, "file", "don.pdf", "application/pdf", []byte("%PDF-1.4 x"))
	if code != 0 || doc["token"] == "" {
		t.Fatalf("file upload: %d %v", code, doc)
	}
	for _, f := range []struct {
		name, kind, file, mime string
		data                   []byte
	}{
		{"image over 1 MB", "image", "lon.png", "image/png", append(png, make([]byte, MaxImageBytes)...)},
		{"image that is not one", "image", "anh.png", "image/png", []byte("%PDF-1.4 x")},
		{"empty file", "file", "don.pdf", "application/pdf", nil},
		{"gif", "image", "anh.gif", "image/gif", []byte("GIF89a")},
	} {
		if code, _ := uploadAs(t, s, tok, f.kind, f.file, f.mime, f.data); code != ErrBadParam {
			t.Errorf("upload of %s: %d, want %d", f.name, code, ErrBadParam)
		}
	}
	cs := "/v3.0/oa/message/cs"
	tests := []struct {
		name string
		body any
		want int
	}{
		{"image with its text", media(u.ID, "Ảnh đây", img["attachment_id"]), 0},
		{"image alone", media(u.ID, "", img["attachment_id"]), 0},
		{"image id never issued", media(u.ID, "", "att9forged"), ErrBadParam},
		{"a file token as image", media(u.ID, "", doc["token"]), ErrBadParam},
		{"file", fileMsg(u.ID, "", doc["token"]), 0},
		{"file with a text", fileMsg(u.ID, "Đơn đây", doc["token"]), ErrBadParam},
		{"an image id as file", fileMsg(u.ID, "", img["attachment_id"]), ErrBadParam},
		{"file token never issued", fileMsg(u.ID, "", "file9forged"), ErrBadParam},
	}
	for _, tt := range tests {
		if got := call(t, s, cs, tok, tt.body); got != tt.want {
			t.Errorf("%s: error %d, want %d", tt.name, got, tt.want)
		}
	}
	got, _ := s.User(u.ID)
	if got.Replies != 3 || len(got.Messages) != 3 {
		t.Fatalf("%d replies counted, %d messages; want 3", got.Replies, len(got.Messages))
	}
	want := []Upload{{Kind: "image", Name: "anh.png", Size: len(png), MIME: "image/png"}, {Kind: "image", Name: "anh.png", Size: len(png), MIME: "image/png"}, {Kind: "file", Name: "don.pdf", Size: 10, MIME: "application/pdf"}}
	for i, m := range got.Messages {
		a := m.Attachment
		if a == nil || a.Kind != want[i].Kind || a.Name != want[i].Name || a.Size != want[i].Size || a.MIME != want[i].MIME {
			t.Errorf("message %d carried %+v, want %+v", i+1, a, want[i])
		}
	}
	if ups := s.Uploads(); len(ups) != 2 {
		t.Errorf("%d uploads recorded, want 2", len(ups))
	}
	// A week on, the ids no longer work (the window opened again).
	c.add(UploadTTL)
	s.SendText(u.ID, "lại đây")
	tok, _, _ = s.IssueTokens()
	if got := call(t, s, cs, tok, media(u.ID, "", img["attachment_id"])); got != ErrBadParam {
		t.Errorf("an image id a week old: %d", got)
	}
}
