package zalo_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"reentrybot/store"
	"reentrybot/webchat"
	"reentrybot/zalotest"
)

var linkRe = regexp.MustCompile(`http://127\.0\.0\.1:\d+` + regexp.QuoteMeta(webchat.DownloadPath) + `([A-Za-z0-9_-]+)`)

// fetch GETs a download link: its status, headers and body.
func fetch(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// mydata has the user type /mydata and returns the link in the answer
// and the messages of the answer.
func (r *rig) mydata(user string) (string, []zalotest.Message) {
	r.t.Helper()
	before := len(r.fake.Messages(user))
	r.say(user, "/mydata")
	got := r.fake.Messages(user)[before:]
	for _, m := range got {
		if l := linkRe.FindString(m.Text); l != "" {
			return l, got
		}
	}
	return "", got
}

// Zalo carries no JSON file, so a Zalo person's /mydata export reaches
// them as a download link after the caption, in their language: the link
// gives their own data (and no one else's) as an attachment, stops at
// expiry by the program clock, and is gone with the person's erasure; a
// forged or garbage link gets the same polite page. Without a public
// address the person is told where else to get the file.
func TestMyDataOverZaloIsALink(t *testing.T) {
	r := newRig(t, rigOpts{})
	people := []struct {
		name, lang, caption, linkWords, view string
	}{
		{"An", "vi", "Tệp này có toàn bộ dữ liệu", "Chỉ mình bạn nên mở", "Dữ liệu của bạn"},
		{"Binh", "en", "This file holds everything stored about you", "Only you should open it", "Your data"},
	}
	links, users := map[string]string{}, map[string]string{}
	for _, p := range people {
		u := r.fake.AddFollower(p.name)
		id := r.fixture(u.ID, p.lang, []string{"consented", "profile"})
		link, got := r.mydata(u.ID)
		if link == "" {
			t.Fatalf("%s: no link in the answer to /mydata: %+v", p.lang, got)
		}
		// The caption and the link in one message (one reply of Zalo's
		// window), before the data view.
		first := got[0].Text
		if !strings.Contains(first, p.caption) || !strings.Contains(first, p.linkWords) || !strings.Contains(first, "24") ||
			strings.Index(first, p.caption) > strings.Index(first, link) || strings.ContainsAny(first, "<>") {
			t.Errorf("%s: the first message is not the caption with the link: %q", p.lang, first)
		}
		if len(got) < 2 || !strings.Contains(got[len(got)-1].Text, p.view) {
			t.Errorf("%s: the data view does not follow: %+v", p.lang, got)
		}

		resp, body := fetch(t, link)
		h := resp.Header
		if resp.StatusCode != http.StatusOK || h.Get("Content-Type") != "application/json" || h.Get("Cache-Control") != "no-store" ||
			h.Get("X-Content-Type-Options") != "nosniff" || !regexp.MustCompile(`^attachment; filename="du-lieu-cua-toi-[0-9-]+\.json"$`).MatchString(h.Get("Content-Disposition")) {
			t.Fatalf("%s: download %s %v", p.lang, resp.Status, h)
		}
		var export struct {
			Person struct {
				Channel   string `json:"channel"`
				AccountID string `json:"account_id"`
			} `json:"person"`
			Consents []struct {
				Evidence string `json:"evidence_token"`
			} `json:"consents"`
		}
		if err := json.Unmarshal(body, &export); err != nil {
			t.Fatalf("%s: the file is not JSON: %v", p.lang, err)
		}
		var evidence []string
		if err := r.x.Select(&evidence, `SELECT evidence FROM consents WHERE person_id = $1 ORDER BY id`, id); err != nil {
			t.Fatal(err)
		}
		if export.Person.Channel != "zalo" || export.Person.AccountID != u.ID || len(export.Consents) == 0 || len(export.Consents) != len(evidence) {
			t.Fatalf("%s: the file is not theirs: %+v (consents %v)", p.lang, export, evidence)
		}
		for i, c := range export.Consents {
			if c.Evidence == "" || c.Evidence != evidence[i] {
				t.Errorf("%s: consent %d: evidence token %q, stored %q", p.lang, i, c.Evidence, evidence[i])
			}
		}
		links[p.lang], users[p.lang] = link, u.ID
	}

	// Links that give nothing: one page, both languages, nothing of anyone.
	base := r.dl.URL + webchat.DownloadPath
	tok := linkRe.FindStringSubmatch(links["vi"])[1]
	flipped := []byte(tok)
	flipped[3] ^= 1
	refuse := func(name, url string, want int) {
		t.Helper()
		resp, body := fetch(t, url)
		page := string(body)
		if resp.StatusCode != want || resp.Header.Get("Cache-Control") != "no-store" || !strings.Contains(page, "Liên kết tải tệp này") ||
			!strings.Contains(page, "This download link") || strings.Contains(page, "account_id") || strings.Contains(page, "du-lieu") {
			t.Errorf("%s: %s %q", name, resp.Status, page)
		}
	}
	for _, tc := range []struct{ name, url string }{
		{"a forged token", base + "AAAAAAAAAAAAAAAAAAAAAA"},
		{"a token one bit off", base + string(flipped)},
		{"too short", base + tok[:10]},
		{"too long", base + tok + "A"},
		{"not base64url", base + strings.Repeat("%21", 22)},
		{"a path under it", base + tok + "/x"},
		{"no token", base},
	} {
		refuse(tc.name, tc.url, http.StatusNotFound)
	}

	// The clock passes the expiry: refused, the other person's too.
	r.clk.Advance(store.FileLinkTTL + time.Minute)
	refuse("expired", links["vi"], http.StatusGone)
	refuse("expired (en)", links["en"], http.StatusGone)

	// A new /mydata gives a new link; /delete takes it with the person.
	user := users["vi"]
	link, _ := r.mydata(user)
	if resp, _ := fetch(t, link); resp.StatusCode != http.StatusOK || link == links["vi"] {
		t.Fatalf("a new /mydata: %s, the same link %v", resp.Status, link == links["vi"])
	}
	r.say(user, "/delete")
	r.tap(user, "yes")
	refuse("after /delete", link, http.StatusNotFound)
	var n int
	if err := r.x.Get(&n, `SELECT count(*) FROM file_links f JOIN people p ON p.id = f.person_id WHERE p.external_id = $1`, user); err != nil || n != 0 {
		t.Errorf("%d linked files of the erased person (%v)", n, err)
	}
}

// Without a public address there is no link: the caption and where else
// to get the file, never silence.
func TestMyDataOverZaloWithoutPublicURL(t *testing.T) {
	r := newRig(t, rigOpts{noLinks: true})
	u := r.fake.AddFollower("An")
	r.fixture(u.ID, "vi", []string{"consented", "profile"})
	link, got := r.mydata(u.ID)
	if link != "" || len(got) < 2 || !strings.Contains(got[0].Text, "Tệp này có toàn bộ dữ liệu") || !strings.Contains(got[0].Text, "trang trò chuyện web") {
		t.Errorf("answer to /mydata without links: %+v", got)
	}
	var n int
	if err := r.x.Get(&n, `SELECT count(*) FROM file_links`); err != nil || n != 0 {
		t.Errorf("%d linked files kept without a public address (%v)", n, err)
	}
}
