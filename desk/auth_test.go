package desk_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/desk"
	"reentrybot/desk/desktest"
	"reentrybot/i18n"
	"reentrybot/store"
)

// signInCode signs in with the password and a typed code (TOTP or
// recovery).
func (b *browser) signInCode(login, pw, code string) (int, string) {
	b.r.t.Helper()
	b.get("/signin")
	st, _, loc := b.post("/signin", url.Values{"csrf": {b.csrf}, "login": {login}, "password": {pw}, "code": {code}})
	return st, loc
}

// browserFrom is a browser whose requests reach the desk through the
// reverse proxy on this machine, for the client address addr.
func (r *rig) browserFrom(addr string) *browser {
	return r.browserWith(map[string]string{"X-Forwarded-For": addr})
}

// browserWith is a browser that sends these headers with every request.
func (r *rig) browserWith(h map[string]string) *browser {
	b := r.browser()
	b.c.Transport = withHeaders(h)
	return b
}

type withHeaders map[string]string

func (h withHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range h {
		req.Header.Set(k, v)
	}
	return http.DefaultTransport.RoundTrip(req)
}

// auditDetails are the details of an action's audit lines (of staffID,
// when not 0), oldest first.
func (r *rig) auditDetails(action string, staffID int64) []string {
	r.t.Helper()
	var out []string
	if err := r.db.X.Select(&out, `SELECT detail FROM audit_log WHERE action = $1 AND ($2 = 0 OR staff_id = $2) ORDER BY id`, action, staffID); err != nil {
		r.t.Fatal(err)
	}
	return out
}

var recoveryRe = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)

// Recovery codes: ten made at redeem and shown once, kept as hashes; one
// signs in once with the password (not without it), each use audited and
// the count left shown; a new set, asked with the password, voids the
// old.
func TestRecoveryCodes(t *testing.T) {
	r := newRig(t)
	b, staffID := r.member(store.RoleCounsellor, "Chị Hằng", "hang", communeA)
	codes := b.recovery
	if len(codes) != 10 || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != 10 {
		t.Fatalf("recovery codes shown: %q", codes)
	}
	for _, c := range codes {
		if !recoveryRe.MatchString(c) {
			t.Errorf("recovery code %q not in groups of four", c)
		}
	}
	var stored int
	if err := r.db.X.Get(&stored, `SELECT count(*) FROM desk_recovery_codes WHERE staff_id = $1 AND used_at IS NULL
	   AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) c WHERE position(convert_to(replace(c, '-', ''), 'UTF8') IN code_hash) > 0)`,
		staffID, "{"+strings.Join(codes, ",")+"}"); err != nil || stored != 10 {
		t.Errorf("%d codes stored as hashes (%v), want 10", stored, err)
	}

	c := r.browser()
	if st, _ := c.signInCode("hang", "sai mật khẩu rồi", codes[0]); st != http.StatusUnauthorized {
		t.Errorf("recovery code with a wrong password: %d", st)
	}
	typed := strings.ToUpper(strings.ReplaceAll(codes[0], "-", " "))
	st, loc := c.signInCode("hang", password, typed)
	if st != http.StatusSeeOther || loc != "/recovery?m=used" {
		t.Fatalf("sign-in with a recovery code typed %q: %d %s", typed, st, loc)
	}
	st, body, _ := c.get(loc)
	if st != http.StatusOK || !strings.Contains(body, "Bạn còn 9 mã dự phòng") || !strings.Contains(body, "vừa đăng nhập bằng một mã dự phòng") {
		t.Errorf("recovery page after its use: %d\n%s", st, body)
	}
	if d := r.auditDetails("desk_recovery_used", staffID); !slices.Equal(d, []string{"9 left"}) {
		t.Errorf("recovery use audited as %q", d)
	}
	if d := r.auditDetails("desk_signin", staffID); len(d) != 2 || !strings.HasPrefix(d[1], "recovery code from ") {
		t.Errorf("sign-ins audited as %q", d)
	}
	if st, _ := r.browser().signInCode("hang", password, codes[0]); st != http.StatusUnauthorized {
		t.Errorf("a recovery code used twice: %d", st)
	}
	if d := r.auditDetails("desk_signin_failed", staffID); len(d) != 2 || !strings.HasPrefix(d[0], "password from ") || !strings.HasPrefix(d[1], "recovery code from ") {
		t.Errorf("failures audited as %q", d)
	}

	// A new set needs the password again.
	if st, body, _ := c.post("/recovery", url.Values{"csrf": {c.csrf}, "password": {"không phải mật khẩu"}}); st != http.StatusUnauthorized || strings.Contains(body, "<li><code>") {
		t.Errorf("new set with a wrong password: %d", st)
	}
	if r.audited("desk_recovery_refused", staffID) != 1 {
		t.Errorf("refused new set not audited")
	}
	if st, _, _ := c.post("/recovery", url.Values{"password": {password}}); st != http.StatusForbidden {
		t.Errorf("new set without the CSRF token: %d", st)
	}
	st, body, _ = c.post("/recovery", url.Values{"csrf": {c.csrf}, "password": {password}})
	fresh := desktest.RecoveryCodes(body)
	if st != http.StatusOK || len(fresh) != 10 || slices.Contains(fresh, codes[1]) {
		t.Fatalf("new set: %d, %q", st, fresh)
	}
	if n := r.audited("desk_recovery_codes_made", staffID); n != 2 {
		t.Errorf("recovery sets audited %d times, want 2 (redeem, new set)", n)
	}
	if st, _ := r.browser().signInCode("hang", password, codes[1]); st != http.StatusUnauthorized {
		t.Errorf("an old set's unused code after a new set: %d", st)
	}
	if st, loc := r.browser().signInCode("hang", password, fresh[3]); st != http.StatusSeeOther || loc != "/recovery?m=used" {
		t.Errorf("a new set's code: %d %s", st, loc)
	}
	// The page itself needs a session.
	if st, _, loc := r.browser().get("/recovery"); st != http.StatusSeeOther || loc != "/signin" {
		t.Errorf("recovery page without a session: %d %s", st, loc)
	}
}

// Failed sign-ins are limited per client address, read through the local
// reverse proxy: once the allowance is used, even the right password gets
// a polite 429 with Retry-After, from every process sharing the database;
// other addresses are not held up; each failure and the limit are
// audited; the window's end frees the address.
func TestAddressLimit(t *testing.T) {
	limit := func(o *desk.Options) { o.AddrLimit = 5 }
	r := newRigWith(t, limit)
	_, idAn := r.member(store.RoleCounsellor, "Anh An", "anh.an", communeA)
	_, idBinh := r.member(store.RoleCounsellor, "Chị Bình", "chi.binh", communeA)
	const addr = "198.51.100.7"
	att := r.browserFrom(addr)
	for i, try := range []struct{ login, pw, code string }{
		{"khong-co", password, "123456"},
		{"anh.an", "sai 1 sai 1 sai 1", "123456"},
		{"chi.binh", "sai 2 sai 2 sai 2", "123456"},
		{"ai-do", "x", "123456"},
		{"anh.an", password, "000000"},
	} {
		if st, _ := att.signInCode(try.login, try.pw, try.code); st != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, st)
		}
	}
	r.clk.Advance(30 * time.Second)
	att.get("/signin")
	resp, err := att.c.PostForm(r.srv.URL+"/signin", url.Values{"csrf": {att.csrf}, "login": {"anh.an"}, "password": {password},
		"code": {desktest.Code(t, r.secrets["anh.an"], r.clk.Now())}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `role="alert">Có quá nhiều lần đăng nhập sai`) {
		t.Errorf("right password from a limited address: %d, Retry-After %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	checkAccessible(t, "/signin (429)", string(body))
	if resp.Header.Get("Set-Cookie") != "" && strings.Contains(resp.Header.Get("Set-Cookie"), "desk_session=") {
		t.Errorf("a session cookie from a limited address")
	}
	if d := r.auditDetails("desk_addr_limited", 0); len(d) != 1 || !strings.HasPrefix(d[0], addr+" after 5 failures") {
		t.Errorf("limit audited as %q", d)
	}
	failed := r.auditDetails("desk_signin_failed", 0)
	from := 0
	for _, d := range failed {
		if strings.HasSuffix(d, " from "+addr) {
			from++
		}
	}
	if from != 5 {
		t.Errorf("%d failures audited with the address, want 5: %q", from, failed)
	}
	if r.audited("desk_locked", idAn)+r.audited("desk_locked", idBinh) != 0 {
		t.Errorf("an account locked by five failures")
	}

	// Another process on the same database refuses the address too.
	r2 := r.otherProcess(desk.Options{AddrLimit: 5})
	if st, _ := r2.browserFrom(addr).signIn("chi.binh", password, r.secrets["chi.binh"]); st != http.StatusTooManyRequests {
		t.Errorf("the other process let the limited address try: %d", st)
	}
	// Another address signs in.
	if st, loc := r.browserFrom("198.51.100.8").signIn("anh.an", password, r.secrets["anh.an"]); st != http.StatusSeeOther || loc != "/" {
		t.Errorf("another address: %d %s", st, loc)
	}
	// The window ends.
	r.clk.Advance(15 * time.Minute)
	if st, loc := att.signIn("chi.binh", password, r.secrets["chi.binh"]); st != http.StatusSeeOther || loc != "/" {
		t.Errorf("after the window: %d %s", st, loc)
	}
}

// otherProcess is a second desk server on the rig's database and clock,
// as another process serving the desk would be.
func (r *rig) otherProcess(o desk.Options) *rig {
	t := r.t
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat, err := i18n.Load(log)
	if err != nil {
		t.Fatal(err)
	}
	o.HashInvite = bot.HashInviteCode
	s2, err := desk.New(r.db, cat, o, log)
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(s2.Handler())
	t.Cleanup(srv2.Close)
	return &rig{t: t, db: r.db, clk: r.clk, srv: srv2, secrets: r.secrets}
}

// signedInAgain is another browser of a member (r.member), signed in.
func (r *rig) signedInAgain(login string) *browser {
	r.t.Helper()
	b := r.browser()
	r.clk.Advance(30 * time.Second) // a code not used yet
	if st, _ := b.signIn(login, password, r.secrets[login]); st != http.StatusSeeOther {
		r.t.Fatalf("%s signing in on another browser: %d", login, st)
	}
	return b
}

// Sign-out everywhere ends every session of the member and is audited;
// revoking the member ends every desk session in the revocation's
// transaction, refuses the open ones on their next request, and neither
// the password with a TOTP code nor a recovery code signs in again.
func TestSignOutEverywhereAndRevoke(t *testing.T) {
	r := newRig(t)
	b, staffID := r.member(store.RoleCounsellor, "Anh Quang", "quang", communeA)
	other := r.signedInAgain("quang")
	other.get("/queue") // its session's CSRF token
	live := func() int {
		var n int
		if err := r.db.X.Get(&n, `SELECT count(*) FROM desk_sessions WHERE staff_id = $1 AND ended_at IS NULL`, staffID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := live(); n != 2 {
		t.Fatalf("%d live sessions, want 2", n)
	}
	if st, _, _ := other.post("/signout-everywhere", url.Values{"csrf": {other.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", st)
	}
	if n := live(); n != 0 || r.audited("desk_signout_everywhere", staffID) != 1 {
		t.Errorf("after signing out everywhere: %d live sessions, %d audit lines", n, r.audited("desk_signout_everywhere", staffID))
	}
	if st, _, _ := b.get("/queue"); st != http.StatusSeeOther {
		t.Errorf("the first browser after signing out everywhere: %d", st)
	}

	for _, br := range []*browser{b, other} {
		r.clk.Advance(30 * time.Second)
		if st, _ := br.signIn("quang", password, r.secrets["quang"]); st != http.StatusSeeOther {
			t.Fatalf("signing in again: %d", st)
		}
		br.get("/queue")
	}
	if err := r.db.RevokeStaff(t.Context(), staffID); err != nil {
		t.Fatal(err)
	}
	var ended int
	if err := r.db.X.Get(&ended, `SELECT count(*) FROM desk_sessions d JOIN staff s ON s.id = d.staff_id
	   WHERE d.staff_id = $1 AND d.ended_at = s.revoked_at`, staffID); err != nil || ended != 2 || live() != 0 {
		t.Errorf("%d sessions ended with the revocation (%v), %d live; want 2, 0", ended, err, live())
	}
	if st, _, loc := b.get("/recovery"); st != http.StatusSeeOther || loc != "/signin" {
		t.Errorf("revoked member's page: %d %s", st, loc)
	}
	if st, _, _ := other.post("/recovery", url.Values{"csrf": {other.csrf}, "password": {password}}); st != http.StatusForbidden {
		t.Errorf("revoked member's POST: %d", st)
	}
	r.clk.Advance(30 * time.Second)
	if st, _ := r.browser().signIn("quang", password, r.secrets["quang"]); st != http.StatusUnauthorized {
		t.Errorf("revoked member's password and code: %d", st)
	}
	if st, _ := r.browser().signInCode("quang", password, b.recovery[0]); st != http.StatusUnauthorized {
		t.Errorf("revoked member's recovery code: %d", st)
	}
	if live() != 0 {
		t.Errorf("a session opened after the revocation")
	}
}

// Bad sign-in input gets the sign-in page again, never a server error.
func TestSignInBadInput(t *testing.T) {
	r := newRig(t)
	r.member(store.RoleCounsellor, "Chị Vân", "van", communeA)
	for _, tt := range []struct{ name, login, pw, code string }{
		{"empty", "", "", ""},
		{"broken UTF-8", "van\xff", password + "\xfe", "12\xff456"},
		{"HTML in the login", "<b>van</b>", password, "123456"},
		{"overlong password", "van", strings.Repeat("a", 200), "123456"},
		{"overlong code", "van", password, strings.Repeat("abcd-", 40)},
		{"almost a recovery code", "van", password, "abcd-efgh-ijkl-mno"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := r.browser()
			b.get("/signin")
			st, body, _ := b.post("/signin", url.Values{"csrf": {b.csrf}, "login": {tt.login}, "password": {tt.pw}, "code": {tt.code}})
			if st != http.StatusUnauthorized || !strings.Contains(body, `role="alert"`) || strings.Contains(body, "<b>van") {
				t.Errorf("%d\n%s", st, body)
			}
		})
	}
}

// The sign-in, account and recovery pages follow the browser's language
// when it prefers English, else stay Vietnamese; a link switches, and the
// choice holds over the browser's.
func TestPageLanguage(t *testing.T) {
	r := newRig(t)
	for _, tt := range []struct{ accept, want, says string }{
		{"", "vi", "Đăng nhập"},
		{"en-US,en;q=0.9", "en", "Sign in"},
		{"en-GB", "en", "Sign in"},
		{"vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7", "vi", "Đăng nhập"},
		{"fr-FR,fr;q=0.9", "vi", "Đăng nhập"},
		{";;q=x,,", "vi", "Đăng nhập"},
	} {
		t.Run(tt.accept, func(t *testing.T) {
			st, body, _ := r.browserWith(map[string]string{"Accept-Language": tt.accept}).get("/signin")
			if st != http.StatusOK || !strings.Contains(body, `<html lang="`+tt.want+`">`) || !strings.Contains(body, "<h1>"+tt.says+"</h1>") {
				t.Errorf("%d, want %s\n%s", st, tt.want, body)
			}
		})
	}

	en := r.browserWith(map[string]string{"Accept-Language": "en-US,en;q=0.9"})
	code := r.invite(store.RoleCounsellor, "Ms Hoa", communeA)
	st, body, _ := en.get("/invite/" + code)
	if st != http.StatusOK || !strings.Contains(body, "Create your account") || !strings.Contains(body, "(counsellor)") || strings.Contains(body, "Mật khẩu") {
		t.Fatalf("invite page in English: %d\n%s", st, body)
	}
	secret := secretRe.FindStringSubmatch(body)[1]
	form := url.Values{"csrf": {en.csrf}, "login": {"hoa.en"}, "password": {password}, "password2": {password + "x"},
		"secret": {secret}, "totp": {desktest.Code(t, secret, r.clk.Now())}}
	if st, body, _ := en.post("/invite/"+code, form); st != http.StatusBadRequest || !strings.Contains(body, `role="alert">The two passwords are not the same.`) {
		t.Errorf("a problem in English: %d\n%s", st, body)
	}
	form.Set("password2", password)
	st, body, _ = en.post("/invite/"+code, form)
	if st != http.StatusOK || !strings.Contains(body, "Recovery codes") || len(desktest.RecoveryCodes(body)) != 10 {
		t.Fatalf("recovery codes in English: %d\n%s", st, body)
	}
	if st, body, _ := en.get("/invite/" + code); st != http.StatusNotFound || !strings.Contains(body, `role="alert">This invitation link is not valid, already used or expired`) {
		t.Errorf("a used invite in English: %d\n%s", st, body)
	}
	r.clk.Advance(30 * time.Second)
	if st, _ := en.signInCode("hoa.en", "wrong password!", "123456"); st != http.StatusUnauthorized {
		t.Errorf("wrong sign-in: %d", st)
	}
	en.get("/signin")
	_, body, _ = en.post("/signin", url.Values{"csrf": {en.csrf}, "login": {"hoa.en"}, "password": {"x"}, "code": {"1"}})
	if !strings.Contains(body, "The login name, password or code is not right.") {
		t.Errorf("the sign-in error in English:\n%s", body)
	}

	// The link switches to Vietnamese and back; only our own pages are
	// gone back to.
	for _, tt := range []struct{ path, loc, lang string }{
		{"/lang/vi?to=/invite/" + code, "/invite/" + code, "vi"},
		{"/lang/en?to=//evil.example/x", "/signin", "en"},
		{"/lang/xx?to=https://evil.example", "/signin", "vi"},
		{"/lang/vi?to=/signin", "/signin", "vi"},
	} {
		st, _, loc := en.get(tt.path)
		if st != http.StatusSeeOther || loc != tt.loc {
			t.Errorf("%s: %d %s, want %s", tt.path, st, loc, tt.loc)
		}
		if _, body, _ := en.get("/signin"); !strings.Contains(body, `<html lang="`+tt.lang+`">`) {
			t.Errorf("after %s: the page is not in %s", tt.path, tt.lang)
		}
	}
}

// Failed sign-ins from one address at the same moment are each counted
// (the count is one row, updated under its lock), the limit is audited
// once, and addresses cleaning up ended windows at once do not trip over
// each other.
func TestAddressLimitConcurrent(t *testing.T) {
	r := newRigWith(t, func(o *desk.Options) { o.AddrLimit = 6 })
	for i := range 4 { // ended windows for the failures below to clean up
		r.browserFrom("203.0.113."+strconv.Itoa(10+i)).signInCode("khong-ai", "sai", "123456")
	}
	r.clk.Advance(16 * time.Minute)
	var browsers []*browser
	for i := range 10 {
		addr := "198.51.100.9"
		if i >= 6 {
			addr = "203.0.113." + strconv.Itoa(20+i)
		}
		b := r.browserFrom(addr)
		b.get("/signin")
		browsers = append(browsers, b)
	}
	status := make([]int, len(browsers))
	var wg sync.WaitGroup
	for i, b := range browsers {
		wg.Go(func() {
			resp, err := b.c.PostForm(r.srv.URL+"/signin", url.Values{"csrf": {b.csrf}, "login": {"khong-ai-" + strconv.Itoa(i)}, "password": {"sai"}, "code": {"123456"}})
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			status[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, st := range status {
		if st != http.StatusUnauthorized {
			t.Errorf("failure %d: %d", i, st)
		}
	}
	var failures, rows int
	if err := r.db.X.QueryRow(`SELECT (SELECT failures FROM desk_signin_limits WHERE addr = '198.51.100.9'), (SELECT count(*) FROM desk_signin_limits)`).Scan(&failures, &rows); err != nil {
		t.Fatal(err)
	}
	if failures != 6 || rows != 5 {
		t.Errorf("%d failures counted, %d rows; want 6 and 5 (the ended windows dropped)", failures, rows)
	}
	if n := r.audited("desk_addr_limited", 0); n != 1 {
		t.Errorf("limit audited %d times", n)
	}
	if st, _ := r.browserFrom("198.51.100.9").signInCode("khong-ai", "sai", "123456"); st != http.StatusTooManyRequests {
		t.Errorf("after the concurrent failures: %d", st)
	}
}

// A signed-in member's pick of language is kept on their account: another
// browser they sign in from shows their language, whatever it prefers.
func TestMemberLanguage(t *testing.T) {
	r := newRig(t)
	b, staffID := r.member(store.RoleCounsellor, "Ms Lien", "lien", communeA)
	if st, _, loc := b.get("/lang/en?to=/recovery"); st != http.StatusSeeOther || loc != "/recovery" {
		t.Fatalf("switching: %d %s", st, loc)
	}
	var lang string
	if err := r.db.X.Get(&lang, `SELECT language FROM desk_accounts WHERE staff_id = $1`, staffID); err != nil || lang != "en" {
		t.Errorf("account language %q (%v)", lang, err)
	}
	other := r.browserWith(map[string]string{"Accept-Language": "vi-VN,vi"})
	if _, body, _ := other.get("/signin"); !strings.Contains(body, `<html lang="vi">`) {
		t.Errorf("before signing in, the browser's language")
	}
	r.clk.Advance(30 * time.Second)
	if st, _ := other.signIn("lien", password, r.secrets["lien"]); st != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", st)
	}
	if _, body, _ := other.get("/recovery"); !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "unused recovery codes") {
		t.Errorf("the member's language after signing in elsewhere:\n%s", body)
	}
}
