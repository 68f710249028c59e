package desk_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"reentrybot/desk"
	"reentrybot/desk/desktest"
	"reentrybot/store"
)

// attempt is one sign-in POST as a guesser sees it: status, the headers
// that could differ, and the page with its CSRF token blanked.
type attempt struct {
	status               int
	cookies, page, ctype string
}

func (b *browser) attempt(login, pw, code string) attempt {
	t := b.r.t
	t.Helper()
	b.get("/signin")
	resp, err := b.c.PostForm(b.r.srv.URL+"/signin", url.Values{"csrf": {b.csrf}, "login": {login}, "password": {pw}, "code": {code}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return attempt{status: resp.StatusCode, cookies: strings.Join(resp.Header.Values("Set-Cookie"), "\n"), ctype: resp.Header.Get("Content-Type"),
		page: csrfRe.ReplaceAllString(string(body), `name="csrf" value="TOKEN"`)}
}

// A login that does not exist, a wrong password, a wrong code and a locked
// account (even with the right password and code) get byte-identical
// answers (the CSRF token aside), first and after several failures from
// the address, when the help text comes; the lock still holds and every
// attempt is audited.
func TestSignInSaysNothingOfLogins(t *testing.T) {
	r := newRigWith(t, func(o *desk.Options) { o.LockAfter = 7 })
	const tries = 3 // the third from an address brings the help text
	seen := map[string][]attempt{}
	try := func(name, addr string, typed func() (pw, code string)) {
		b := r.browserFrom(addr)
		for range tries {
			r.clk.Advance(30 * time.Second)
			pw, code := typed()
			seen[name] = append(seen[name], b.attempt("mai", pw, code))
		}
	}
	wrong := func() (string, string) { return "sai mật khẩu rồi", "123456" }
	try("unknown login", "198.51.100.1", wrong)

	secret := r.browser().redeem(r.invite(store.RoleCounsellor, "Chị Mai", communeA), "mai")
	try("wrong password", "198.51.100.2", wrong)
	try("wrong code", "198.51.100.3", func() (string, string) {
		return password, desktest.Code(t, secret, r.clk.Now().Add(time.Hour))
	})
	if st, _ := r.browserFrom("198.51.100.4").signInCode("mai", "sai lần thứ bảy", "123456"); st != http.StatusUnauthorized {
		t.Fatalf("the wrong sign-in that locks: %d", st)
	}
	try("locked, right password and code", "198.51.100.5", func() (string, string) {
		return password, desktest.Code(t, secret, r.clk.Now())
	})

	want := seen["unknown login"]
	if want[0].status != http.StatusUnauthorized || want[0].cookies != "" || !strings.Contains(want[0].page, `role="alert"`) {
		t.Fatalf("unknown login: %d, cookies %q\n%s", want[0].status, want[0].cookies, want[0].page)
	}
	const help = "Nếu quên mật khẩu hoặc tài khoản bị khoá, hãy liên hệ quản trị viên."
	for i, a := range want {
		if got := strings.Contains(a.page, help); got != (i+1 >= tries) {
			t.Errorf("failure %d from an address shows the help text: %v", i+1, got)
		}
	}
	for name, as := range seen {
		for i, a := range as {
			if a != want[i] {
				t.Errorf("%s, failure %d, differs from an unknown login's:\n%+v\nwant\n%+v", name, i+1, a, want[i])
			}
		}
	}
	var staffID int64
	if err := r.db.X.Get(&staffID, `SELECT staff_id FROM desk_accounts WHERE login = 'mai'`); err != nil {
		t.Fatal(err)
	}
	if f, l, k := r.audited("desk_signin_failed", staffID), r.audited("desk_locked", staffID), r.audited("desk_signin_locked", staffID); f != 7 || l != 1 || k != tries {
		t.Errorf("audited %d failures, %d locks, %d locked attempts; want 7, 1, %d", f, l, k, tries)
	}
	if n := r.audited("desk_signin_failed", 0) - 7; n != tries {
		t.Errorf("%d unknown logins audited, want %d", n, tries)
	}
	r.clk.Advance(15 * time.Minute)
	if st, loc := r.browser().signIn("mai", password, secret); st != http.StatusSeeOther || loc != "/" {
		t.Errorf("after the lock: %d %s", st, loc)
	}
}

// An unknown login is audited with the client address and a short keyed
// hash, never as typed (it may be a password in the wrong box): one login
// tried again, from another address or through another process, has the
// same hash; another login has another.
func TestUnknownLoginAudited(t *testing.T) {
	r := newRig(t)
	const typed = "Mat-Khau.Bi-Mat-2026" // a password in the login box
	r.browserFrom("198.51.100.1").signInCode(" "+typed+" ", "sai", "123456")
	r.browserFrom("198.51.100.2").signInCode(strings.ToLower(typed), "sai", "123456")
	r.otherProcess(desk.Options{}).browserFrom("198.51.100.3").signInCode(typed, "sai", "123456")
	r.browserFrom("198.51.100.1").signInCode("ai-do-khac", "sai", "123456")
	d := r.auditDetails("desk_signin_failed", 0)
	if len(d) != 4 {
		t.Fatalf("audited %q, want 4 lines", d)
	}
	tagRe := regexp.MustCompile(`^unknown login \(hash ([0-9a-f]{12})\) from (198\.51\.100\.[0-9])$`)
	var tags, addrs []string
	for _, line := range d {
		m := tagRe.FindStringSubmatch(line)
		if m == nil || strings.Contains(strings.ToLower(line), "mat-khau") || strings.Contains(line, "ai-do") {
			t.Fatalf("audited as %q", line)
		}
		tags, addrs = append(tags, m[1]), append(addrs, m[2])
	}
	if tags[0] != tags[1] || tags[1] != tags[2] || tags[3] == tags[0] {
		t.Errorf("hashes %q: want the first three alike, the fourth not", tags)
	}
	if want := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.1"}; !slices.Equal(addrs, want) {
		t.Errorf("addresses %q, want %q", addrs, want)
	}
}
