// Package desktest drives the staff desk over HTTP in other packages'
// tests (app, bot): a browser with its own cookies that redeems an invite
// and signs in with a TOTP code computed from the program's clock.
package desktest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// Password is the one every test member sets.
const Password = "mật khẩu dài 2026"

// Browser is one person's browser at the desk served at Base; redirects
// are not followed (tests look at them).
type Browser struct {
	T    testing.TB
	Base string
	C    *http.Client
	CSRF string // the session's (or the sign-in form's), from the last page read
	// Recovery is the recovery codes the account's page showed at Redeem.
	Recovery []string
}

// NewBrowser opens a browser on the desk at base.
func NewBrowser(t testing.TB, base string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{T: t, Base: base, C: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var (
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	secretRe = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)
	codeRe   = regexp.MustCompile(`<li><code>([a-z2-7-]+)</code></li>`)
)

// RecoveryCodes are the recovery codes a page shows.
func RecoveryCodes(body string) []string {
	var out []string
	for _, m := range codeRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// Get reads a page: status, body, Location.
func (b *Browser) Get(path string) (int, string, string) {
	b.T.Helper()
	resp, err := b.C.Get(b.Base + path)
	if err != nil {
		b.T.Fatal(err)
	}
	return b.read(resp)
}

// Post sends a form.
func (b *Browser) Post(path string, form url.Values) (int, string, string) {
	b.T.Helper()
	resp, err := b.C.PostForm(b.Base+path, form)
	if err != nil {
		b.T.Fatal(err)
	}
	return b.read(resp)
}

func (b *Browser) read(resp *http.Response) (int, string, string) {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindSubmatch(body); m != nil {
		b.CSRF = string(m[1])
	}
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

// Code is the authenticator's code for secret at t.
func Code(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Redeem opens the invite link of code and creates the account with
// Password; it returns the TOTP secret the page showed and keeps the
// recovery codes shown once in b.Recovery.
func (b *Browser) Redeem(code, login string, now time.Time) string {
	b.T.Helper()
	st, body, _ := b.Get("/invite/" + code)
	m := secretRe.FindStringSubmatch(body)
	if st != http.StatusOK || m == nil || !strings.Contains(body, "data:image/png;base64,") {
		b.T.Fatalf("invite page: %d, secret %v", st, m)
	}
	st, body, loc := b.Post("/invite/"+code, url.Values{"csrf": {b.CSRF}, "login": {login}, "password": {Password},
		"password2": {Password}, "secret": {m[1]}, "totp": {Code(b.T, m[1], now)}})
	b.Recovery = RecoveryCodes(body)
	if st != http.StatusOK || len(b.Recovery) != 10 || loc != "" {
		b.T.Fatalf("redeeming: %d %s, %d recovery codes shown\n%s", st, loc, len(b.Recovery), body)
	}
	return m[1]
}

// SignIn signs in with pw and the code of at; it returns the status and
// where the browser was sent.
func (b *Browser) SignIn(login, pw, secret string, at time.Time) (int, string) {
	b.T.Helper()
	b.Get("/signin")
	st, _, loc := b.Post("/signin", url.Values{"csrf": {b.CSRF}, "login": {login}, "password": {pw}, "code": {Code(b.T, secret, at)}})
	return st, loc
}

// Member redeems an invite and signs in. The sign-in uses the next 30-s
// step's code (one step of drift is allowed): the redeem spent this one,
// and the test need not wait.
func Member(t testing.TB, base, code, login string, now time.Time) *Browser {
	t.Helper()
	b := NewBrowser(t, base)
	secret := b.Redeem(code, login, now)
	if st, loc := b.SignIn(login, Password, secret, now.Add(30*time.Second)); st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("sign-in of %s: %d %s", login, st, loc)
	}
	// The member's home (the queue, the announcements or the report)
	// gives the session's CSRF token.
	st, _, home := b.Get("/")
	if st != http.StatusSeeOther || home == "" {
		t.Fatalf("home of %s: %d %q", login, st, home)
	}
	b.Get(home)
	return b
}
