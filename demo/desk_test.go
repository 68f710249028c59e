package demo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"reentrybot/desk/desktest"
)

// The playground shows the staff desk beside the chats: the page carries
// its column, the column's API gives the desk's address and the demo
// counsellor's sign-in, and with those the counsellor signs in on the
// desk (password and the code of the moment) and reaches the queue.
func TestDemoPlaygroundDeskSignIn(t *testing.T) {
	d := startDemo(t)
	for file, want := range map[string][]string{"": {`data-testid="desk"`, `src="desk.js"`}, "desk.js": {"api/desk", "desk-link"}} {
		resp, err := http.Get(d.URL() + file)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range want {
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), w) {
				t.Errorf("playground %q (HTTP %d) lacks %s", file, resp.StatusCode, w)
			}
		}
	}

	resp, err := http.Post(d.URL()+"api/desk", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	var desk struct {
		OK       bool   `json:"ok"`
		URL      string `json:"url"`
		Login    string `json:"login"`
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	err = json.NewDecoder(resp.Body).Decode(&desk)
	resp.Body.Close()
	if err != nil || !desk.OK || desk.URL == "" || desk.Login == "" || len(desk.Code) != 6 {
		t.Fatalf("api/desk: %+v %v", desk, err)
	}

	b := desktest.NewBrowser(t, desk.URL)
	b.Get("/signin")
	if st, body, loc := b.Post("/signin", url.Values{"csrf": {b.CSRF}, "login": {desk.Login}, "password": {desk.Password}, "code": {desk.Code}}); st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("sign-in with the column's details: %d → %q\n%s", st, loc, body)
	}
	if st, body, loc := b.Get("/queue"); st != http.StatusOK {
		t.Fatalf("queue after sign-in: %d → %q\n%s", st, loc, body)
	}
}
