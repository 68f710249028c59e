package app_test

import (
	"net/http"
	"strings"
	"testing"

	"reentrybot/botapitest"
)

// The download links are served on the public listener whenever
// PUBLIC_URL is set, web chat on or off, without taking /chat from the
// web chat; without PUBLIC_URL there are none.
func TestFileLinksMounted(t *testing.T) {
	api := botapitest.NewTest(t)
	for _, tc := range []struct {
		name     string
		env      map[string]string
		links    bool
		chatPage int
	}{
		{"web chat and public URL", map[string]string{"PUBLIC_URL": "https://bot.example.org"}, true, http.StatusOK},
		{"public URL, web chat off", map[string]string{"PUBLIC_URL": "https://bot.example.org", "WEBCHAT": "false"}, true, http.StatusNotFound},
		{"no public URL", map[string]string{"PUBLIC_URL": ""}, false, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := start(t, api, tc.env)
			code, body := get(t, "http://"+a.Addr+"/chat/dl/AAAAAAAAAAAAAAAAAAAAAA")
			if served := strings.Contains(body, "Liên kết tải tệp"); code != http.StatusNotFound || served != tc.links {
				t.Errorf("a forged link: %d, the links' page %v; want 404, %v", code, served, tc.links)
			}
			if code, _ := get(t, "http://"+a.Addr+"/chat"); code != tc.chatPage {
				t.Errorf("/chat: %d, want %d", code, tc.chatPage)
			}
		})
	}
}
