package playground

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// The desk column's API: nothing without a desk, the desk's address and
// the counsellor's sign-in with one, and a failing code is an error, not
// an empty code.
func TestPlaygroundDeskAPI(t *testing.T) {
	post := func(p string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(p+"api/desk", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, out
	}
	for _, c := range []struct {
		name   string
		desk   *Desk
		status int
		want   map[string]any
	}{
		{"no desk", nil, http.StatusNotFound, map[string]any{"ok": false}},
		{"desk", &Desk{URL: "http://127.0.0.1:8090", Name: "Tuấn", Login: "tuvan.web", Password: "mau-demo-2026",
			Code: func() (string, error) { return "123456", nil }}, http.StatusOK,
			map[string]any{"ok": true, "url": "http://127.0.0.1:8090", "login": "tuvan.web", "password": "mau-demo-2026", "code": "123456"}},
		{"code fails", &Desk{URL: "http://127.0.0.1:8090", Code: func() (string, error) { return "", errors.New("no clock") }},
			http.StatusInternalServerError, map[string]any{"ok": false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			mount(s, Options{Desk: c.desk})
			status, out := post(s.URL() + Path)
			if status != c.status {
				t.Errorf("HTTP %d, want %d (%v)", status, c.status, out)
			}
			for k, v := range c.want {
				if out[k] != v {
					t.Errorf("%s = %v, want %v", k, out[k], v)
				}
			}
		})
	}
}
