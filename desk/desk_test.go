package desk_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"reentrybot/bot"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/desk"
	"reentrybot/desk/desktest"
	"reentrybot/i18n"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Two communes of the province (migrations/00060): scope A and B.
const (
	communeA = "07840"
	communeB = "07864"
)

const password = "mật khẩu dài 2026"

type rig struct {
	t       *testing.T
	db      *store.DB
	clk     *clock.Fake
	srv     *httptest.Server
	mu      sync.Mutex
	changed []int64
	secrets map[string]string // TOTP secrets by login
}

func newRig(t *testing.T) *rig { return newRigWith(t, nil) }

// newRigWith is newRig with options changed by opt (nil: the defaults).
func newRigWith(t *testing.T, opt func(*desk.Options)) *rig {
	t.Helper()
	db := &store.DB{X: dbtest.New(t)}
	clk := clock.NewFake(time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC))
	db.SetClock(clk.Now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	cat, err := i18n.Load(log)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, db: db, clk: clk, secrets: map[string]string{}}
	o := desk.Options{
		HashInvite: bot.HashInviteCode,
		InviteLink: func(code string) string { return bot.InviteLink("reentry_test_bot", code) },
		// Live updates quickly, so their tests wait little (live_test.go).
		LivePoll: 20 * time.Millisecond, LiveCheck: 50 * time.Millisecond,
		CaseChanged: func(id int64) {
			r.mu.Lock()
			r.changed = append(r.changed, id)
			r.mu.Unlock()
		},
	}
	if opt != nil {
		opt(&o)
	}
	s, err := desk.New(db, cat, o, log)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(s.Handler())
	t.Cleanup(r.srv.Close)
	return r
}

// browser is one person's browser: its own cookies, redirects not
// followed (the tests look at them).
type browser struct {
	r    *rig
	c    *http.Client
	csrf string // the session's, from the last page read
	// recovery is the recovery codes shown once at redeem.
	recovery []string
}

func (r *rig) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{r: r, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) (int, string, string) {
	b.r.t.Helper()
	resp, err := b.c.Get(b.r.srv.URL + path)
	if err != nil {
		b.r.t.Fatal(err)
	}
	return b.read(resp)
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.r.t.Helper()
	resp, err := b.c.PostForm(b.r.srv.URL+path, form)
	if err != nil {
		b.r.t.Fatal(err)
	}
	return b.read(resp)
}

func (b *browser) read(resp *http.Response) (int, string, string) {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRe.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && resp.StatusCode/100 != 3 { // not a redirect's stub
		checkAccessible(b.r.t, resp.Request.URL.Path, string(body)) // a11y_test.go
	}
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

// invite makes a staff invite and returns its code.
func (r *rig) invite(role store.Role, name string, communes ...string) string {
	r.t.Helper()
	code, hash := bot.NewInviteCode()
	if _, err := r.db.CreateInvite(context.Background(), role, communes, name, hash, r.clk.Now().Add(72*time.Hour)); err != nil {
		r.t.Fatal(err)
	}
	return code
}

var secretRe = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)

// redeem opens the invite link and creates the account; it returns the
// TOTP secret the page showed.
func (b *browser) redeem(code, login string) string {
	t := b.r.t
	t.Helper()
	st, body, _ := b.get("/invite/" + code)
	m := secretRe.FindStringSubmatch(body)
	if st != http.StatusOK || m == nil || !strings.Contains(body, "data:image/png;base64,") {
		t.Fatalf("invite page: %d, secret %v, QR shown %v", st, m, strings.Contains(body, "data:image/png"))
	}
	secret := m[1]
	otp, err := totp.GenerateCode(secret, b.r.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, body, loc := b.post("/invite/"+code, url.Values{"csrf": {b.csrf}, "login": {login}, "password": {password},
		"password2": {password}, "secret": {secret}, "totp": {otp}})
	b.recovery = desktest.RecoveryCodes(body)
	if st != http.StatusOK || loc != "" || len(b.recovery) != 10 {
		t.Fatalf("redeeming: %d %s, %d recovery codes\n%s", st, loc, len(b.recovery), body)
	}
	return secret
}

// signIn signs in with the password and the authenticator's code now; it
// returns the status and where it sent the browser.
func (b *browser) signIn(login, pw, secret string) (int, string) {
	t := b.r.t
	t.Helper()
	b.get("/signin")
	otp, err := totp.GenerateCode(secret, b.r.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	st, _, loc := b.post("/signin", url.Values{"csrf": {b.csrf}, "login": {login}, "password": {pw}, "code": {otp}})
	return st, loc
}

// member is a signed-in staff member.
func (r *rig) member(role store.Role, name, login string, communes ...string) (*browser, int64) {
	r.t.Helper()
	b := r.browser()
	secret := b.redeem(r.invite(role, name, communes...), login)
	r.secrets[login] = secret
	r.clk.Advance(30 * time.Second) // the code of the redeem's step is spent
	if st, loc := b.signIn(login, password, secret); st != http.StatusSeeOther || loc != "/" {
		r.t.Fatalf("sign-in of %s: %d %s", login, st, loc)
	}
	if st, _, _ := b.get("/queue"); st == http.StatusSeeOther {
		r.t.Fatalf("queue after sign-in: %d", st)
	}
	var id int64
	if err := r.db.X.Get(&id, `SELECT staff_id FROM desk_accounts WHERE login = $1`, login); err != nil {
		r.t.Fatal(err)
	}
	return b, id
}

// newCase opens a case for a new person on channel ch in commune.
func (r *rig) newCase(commune, ch, fullName string) int64 {
	r.t.Helper()
	ctx := context.Background()
	var id int64
	err := r.db.InTx(ctx, func(tx *store.Tx) error {
		ref := fullName + ch
		p, err := tx.TouchPerson(ctx, ch, ref, ref, "vi")
		if err != nil {
			return err
		}
		if _, err := tx.X.ExecContext(ctx, `UPDATE people SET full_name = $2, phone = '+84912345678' WHERE id = $1`, p.ID, fullName); err != nil {
			return err
		}
		return tx.X.GetContext(ctx, &id, `INSERT INTO cases (person_id, kind, commune_code, opened_at, updated_at) VALUES ($1, 'job', $2, $3, $3) RETURNING id`,
			p.ID, commune, r.clk.Now())
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// audited counts audit lines of an action (and staff, when not 0).
func (r *rig) audited(action string, staffID int64) int {
	r.t.Helper()
	var n int
	if err := r.db.X.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND ($2 = 0 OR staff_id = $2)`, action, staffID); err != nil {
		r.t.Fatal(err)
	}
	return n
}

// The whole way: invite → account with password and TOTP → sign in →
// the queue shows the case → profile (audited) → take → answer (the
// event the relay sends to the person) → close.
func TestFullFlow(t *testing.T) {
	r := newRig(t)
	older := r.newCase(communeA, "zalo", "Trần Văn Bình")
	r.clk.Advance(2 * time.Hour)
	id := r.newCase(communeA, "telegram", "Nguyễn Văn An")
	b, staffID := r.member(store.RoleCounsellor, "Chị Hoa", "hoa.tv", communeA)
	if r.audited("desk_invite_redeemed", staffID) != 1 || r.audited("desk_signin", staffID) != 1 {
		t.Errorf("redeem and sign-in not audited")
	}

	st, body, _ := b.get("/queue")
	first, second := strings.Index(body, "/case/"+strconv.FormatInt(older, 10)), strings.Index(body, "/case/"+strconv.FormatInt(id, 10))
	if st != http.StatusOK || first < 0 || second < first || !strings.Contains(body, "Hiệp Hòa") || !strings.Contains(body, "Zalo") || !strings.Contains(body, "Telegram") {
		t.Fatalf("queue: %d, cases at %d and %d (oldest first)\n%s", st, first, second, body)
	}
	if !strings.Contains(body, "2 giờ") {
		t.Errorf("queue shows no age of the older case:\n%s", body)
	}

	path := "/case/" + strconv.FormatInt(id, 10)
	st, body, _ = b.get(path)
	if st != http.StatusOK || !strings.Contains(body, "An") || strings.Contains(body, "Nguyễn Văn An") || strings.Contains(body, "84912345678") {
		t.Fatalf("short card: %d, must show the first name only\n%s", st, body)
	}
	st, body, _ = b.post(path+"/profile", url.Values{"csrf": {b.csrf}})
	if st != http.StatusOK || !strings.Contains(body, "Nguyễn Văn An") || !strings.Contains(body, "84912345678") {
		t.Fatalf("profile: %d\n%s", st, body)
	}
	if n := r.audited("view_profile", staffID); n != 1 {
		t.Errorf("view_profile audited %d times, want 1", n)
	}

	if st, _, loc := b.post(path+"/take", url.Values{"csrf": {b.csrf}}); st != http.StatusSeeOther || loc != path+"?m=taken" {
		t.Fatalf("take: %d %s", st, loc)
	}
	const answer = "Chào anh An, tuần sau có phiên việc làm ở xã <b>Hiệp Hòa</b>."
	if st, _, _ := b.post(path+"/answer", url.Values{"csrf": {b.csrf}, "text": {answer}}); st != http.StatusSeeOther {
		t.Fatalf("answer: %d", st)
	}
	evs, err := r.db.CaseEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var msg *store.CaseEvent
	for i := range evs {
		if evs[i].Kind == "message" {
			msg = &evs[i]
		}
	}
	if msg == nil || msg.Body.String != answer || msg.RelayTo.String != "returnee" || msg.StaffID.Int64 != staffID || msg.Actor != "staff" {
		t.Fatalf("the answer's event: %+v", msg)
	}
	pend, err := r.db.PendingRelays(context.Background())
	if err != nil || len(pend) != 1 || pend[0].CaseID != id || pend[0].RelayTo != "returnee" {
		t.Errorf("pending relays %+v %v: the relay would not send the answer", pend, err)
	}
	_, body, _ = b.get(path)
	if !strings.Contains(body, "&lt;b&gt;Hiệp Hòa&lt;/b&gt;") || !strings.Contains(body, "Chị Hoa") {
		t.Errorf("the history shows the answer escaped, signed:\n%s", body)
	}

	if st, _, _ := b.post(path+"/note", url.Values{"csrf": {b.csrf}, "text": {"Anh An biết hàn điện"}}); st != http.StatusSeeOther {
		t.Fatalf("note: %d", st)
	}
	var relayed int
	if err := r.db.X.Get(&relayed, `SELECT count(*) FROM case_events WHERE case_id = $1 AND kind = 'note' AND relay_to IS NULL`, id); err != nil || relayed != 1 {
		t.Errorf("the note: %d kept unrelayed (%v)", relayed, err)
	}
	if st, _, _ := b.post(path+"/close", url.Values{"csrf": {b.csrf}, "outcome": {"job_found"}}); st != http.StatusSeeOther {
		t.Fatalf("close: %d", st)
	}
	var status, outcome string
	if err := r.db.X.QueryRow(`SELECT status, outcome FROM cases WHERE id = $1`, id).Scan(&status, &outcome); err != nil || status != "closed" || outcome != "job_found" {
		t.Errorf("case after close: %s %s %v", status, outcome, err)
	}
	for _, a := range []string{"take", "message", "note", "close"} {
		if r.audited(a, staffID) != 1 {
			t.Errorf("%s not audited once", a)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.changed) != 4 {
		t.Errorf("relay told of %v, want the case four times", r.changed)
	}
}

// No page without a session: pages send to the sign-in, actions are
// refused and change nothing.
func TestNoPageWithoutSession(t *testing.T) {
	r := newRig(t)
	id := strconv.FormatInt(r.newCase(communeA, "telegram", "Lê Văn Cường"), 10)
	b := r.browser()
	for _, p := range []string{"/", "/queue", "/case/" + id, "/case/999"} {
		if st, _, loc := b.get(p); st != http.StatusSeeOther || loc != "/signin" {
			t.Errorf("GET %s: %d %s, want the sign-in", p, st, loc)
		}
	}
	for _, p := range []string{"/case/" + id + "/take", "/case/" + id + "/answer", "/case/" + id + "/close", "/case/" + id + "/profile", "/signout"} {
		if st, _, _ := b.post(p, url.Values{"text": {"x"}, "outcome": {"job_found"}}); st != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403", p, st)
		}
	}
	// A made-up cookie is no session.
	u, _ := url.Parse(r.srv.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "desk_session", Value: "forged-token-forged-token-forged-token-123"}})
	if st, _, _ := b.get("/queue"); st != http.StatusSeeOther {
		t.Errorf("forged cookie: %d", st)
	}
	if n := r.audited("take", 0) + r.audited("view", 0); n != 0 {
		t.Errorf("%d actions audited without a session", n)
	}
}

// A counsellor of commune A cannot read or act on a case of commune B by
// URL: not found, audited, nothing changed.
func TestScopeByURL(t *testing.T) {
	r := newRig(t)
	caseB := r.newCase(communeB, "telegram", "Phạm Thị Dung")
	b, staffID := r.member(store.RoleCounsellor, "Anh Nam", "nam", communeA)
	if _, body, _ := b.get("/queue"); strings.Contains(body, "/case/"+strconv.FormatInt(caseB, 10)) {
		t.Errorf("queue lists a case of another commune")
	}
	path := "/case/" + strconv.FormatInt(caseB, 10)
	if st, body, _ := b.get(path); st != http.StatusNotFound || strings.Contains(body, "Dung") {
		t.Errorf("GET case of B: %d", st)
	}
	for _, a := range []string{"profile", "take", "answer", "close"} {
		if st, body, _ := b.post(path+"/"+a, url.Values{"csrf": {b.csrf}, "text": {"xin chào"}, "outcome": {"job_found"}}); st != http.StatusNotFound || strings.Contains(body, "Dung") {
			t.Errorf("POST %s on a case of B: %d", a, st)
		}
	}
	if n := r.audited("denied_view", staffID) + r.audited("denied_take", staffID) + r.audited("denied_message", staffID) + r.audited("denied_close", staffID) + r.audited("denied_profile", staffID); n != 5 {
		t.Errorf("%d refusals audited, want 5", n)
	}
	var status string
	var events int
	if err := r.db.X.QueryRow(`SELECT status, (SELECT count(*) FROM case_events WHERE case_id = $1) FROM cases WHERE id = $1`, caseB).Scan(&status, &events); err != nil || status != "new" || events != 0 {
		t.Errorf("case of B after the attempts: %s, %d events, %v", status, events, err)
	}
	// An officer handles no cases, even in their commune.
	o, _ := r.member(store.RoleOfficer, "Cán bộ xã", "canbo", communeA)
	caseA := r.newCase(communeA, "telegram", "Vũ Văn Em")
	if st, _, _ := o.get("/queue"); st != http.StatusForbidden {
		t.Errorf("officer's queue: %d", st)
	}
	// ... and opens the desk at the announcements of their communes.
	if st, _, loc := o.get("/"); st != http.StatusSeeOther || loc != "/announce" {
		t.Errorf("officer's home: %d %q", st, loc)
	}
	if st, _, _ := o.get("/case/" + strconv.FormatInt(caseA, 10)); st != http.StatusNotFound {
		t.Errorf("officer opening a case: %d", st)
	}
}

// A POST without the session's CSRF token is refused; so is a sign-in
// form without its own token.
func TestCSRF(t *testing.T) {
	r := newRig(t)
	id := r.newCase(communeA, "telegram", "Đỗ Văn Giang")
	b, _ := r.member(store.RoleCounsellor, "Chị Lan", "lan", communeA)
	path := "/case/" + strconv.FormatInt(id, 10)
	for _, tok := range []string{"", "not-the-token", b.csrf + "x"} {
		if st, _, _ := b.post(path+"/take", url.Values{"csrf": {tok}}); st != http.StatusForbidden {
			t.Errorf("take with csrf %q: %d", tok, st)
		}
		if st, _, _ := b.post(path+"/answer", url.Values{"csrf": {tok}, "text": {"chào"}}); st != http.StatusForbidden {
			t.Errorf("answer with csrf %q: %d", tok, st)
		}
	}
	var status string
	if err := r.db.X.Get(&status, `SELECT status FROM cases WHERE id = $1`, id); err != nil || status != "new" {
		t.Errorf("case after CSRF-less posts: %s %v", status, err)
	}
	fresh := r.browser()
	if st, _, _ := fresh.post("/signin", url.Values{"login": {"lan"}, "password": {password}, "code": {"123456"}}); st != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d", st)
	}
}

// Twenty wrong passwords lock the account for a while, each audited; a
// right password and code do not open it until the lock ends (and get the
// answer of a wrong one: signin_test.go).
func TestLockout(t *testing.T) {
	r := newRig(t)
	b := r.browser()
	secret := b.redeem(r.invite(store.RoleCounsellor, "Chị Mai", communeA), "mai")
	for i := 0; i < 20; i++ {
		r.clk.Advance(30 * time.Second)
		if st, _ := b.signIn("mai", "sai mật khẩu "+strconv.Itoa(i), secret); st != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i, st)
		}
	}
	r.clk.Advance(30 * time.Second)
	if st, _ := b.signIn("mai", password, secret); st != http.StatusUnauthorized {
		t.Errorf("right password while locked: %d, want 401", st)
	}
	var staffID int64
	if err := r.db.X.Get(&staffID, `SELECT staff_id FROM desk_accounts WHERE login = 'mai'`); err != nil {
		t.Fatal(err)
	}
	if f, l, k := r.audited("desk_signin_failed", staffID), r.audited("desk_locked", staffID), r.audited("desk_signin_locked", staffID); f != 20 || l != 1 || k != 1 {
		t.Errorf("audited %d failures, %d locks, %d locked attempts; want 20, 1, 1", f, l, k)
	}
	r.clk.Advance(15 * time.Minute)
	if st, loc := b.signIn("mai", password, secret); st != http.StatusSeeOther || loc != "/" {
		t.Errorf("after the lock: %d %s", st, loc)
	}
	// A code is good once: the same step again is refused.
	c := r.browser()
	if st, _ := c.signIn("mai", password, secret); st != http.StatusUnauthorized {
		t.Errorf("a replayed code: %d", st)
	}
}

// A revoked member's open session is refused on its next request; an idle
// session ends.
func TestRevokedAndIdle(t *testing.T) {
	r := newRig(t)
	b, staffID := r.member(store.RoleCounsellor, "Anh Quân", "quan", communeA)
	if err := r.db.RevokeStaff(context.Background(), staffID); err != nil {
		t.Fatal(err)
	}
	if st, _, loc := b.get("/queue"); st != http.StatusSeeOther || loc != "/signin" {
		t.Errorf("revoked member's session: %d %s", st, loc)
	}
	id := r.newCase(communeA, "telegram", "Hồ Văn Hải")
	if st, _, _ := b.post("/case/"+strconv.FormatInt(id, 10)+"/take", url.Values{"csrf": {b.csrf}}); st != http.StatusForbidden {
		t.Errorf("revoked member taking a case: %d", st)
	}

	// Signing out everywhere ends the member's other browsers too.
	e1, _ := r.member(store.RoleCounsellor, "Anh Sơn", "son", communeA)
	e2 := r.browser()
	r.clk.Advance(30 * time.Second)
	if st, _ := e2.signIn("son", password, r.secrets["son"]); st != http.StatusSeeOther {
		t.Fatalf("second browser's sign-in: %d", st)
	}
	if st, _, loc := e1.post("/signout-everywhere", url.Values{"csrf": {e1.csrf}}); st != http.StatusSeeOther || loc != "/signin" {
		t.Errorf("sign out everywhere: %d %s", st, loc)
	}
	var live int
	if err := r.db.X.Get(&live, `SELECT count(*) FROM desk_sessions s JOIN desk_accounts a USING (staff_id) WHERE a.login = 'son' AND s.ended_at IS NULL`); err != nil || live != 0 {
		t.Errorf("%d sessions left after signing out everywhere (%v)", live, err)
	}
	if st, _, _ := e2.get("/queue"); st != http.StatusSeeOther {
		t.Errorf("the other browser after signing out everywhere: %d", st)
	}

	c, _ := r.member(store.RoleCounsellor, "Chị Thu", "thu", communeA)
	r.clk.Advance(29 * time.Minute)
	if st, _, _ := c.get("/queue"); st != http.StatusOK {
		t.Errorf("session used within the idle timeout: %d", st)
	}
	r.clk.Advance(31 * time.Minute)
	if st, _, _ := c.get("/queue"); st != http.StatusSeeOther {
		t.Errorf("session idle 31 minutes: %d", st)
	}
}

// Two counsellors take the same case at the same moment: one wins, the
// other is told who has it.
func TestTakeRace(t *testing.T) {
	r := newRig(t)
	id := r.newCase(communeA, "telegram", "Ngô Văn Khoa")
	a, _ := r.member(store.RoleCounsellor, "Chị Yến", "yen", communeA)
	b, _ := r.member(store.RoleCounsellor, "Anh Tùng", "tung", communeA)
	path := "/case/" + strconv.FormatInt(id, 10) + "/take"
	type res struct {
		st   int
		body string
	}
	out := make([]res, 2)
	var wg sync.WaitGroup
	for i, br := range []*browser{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := br.c.PostForm(r.srv.URL+path, url.Values{"csrf": {br.csrf}})
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			out[i] = res{resp.StatusCode, string(body)}
		}()
	}
	wg.Wait()
	won, told := 0, 0
	for _, o := range out {
		switch {
		case o.st == http.StatusSeeOther:
			won++
		case o.st == http.StatusConflict && (strings.Contains(o.body, "đã được Chị Yến nhận") || strings.Contains(o.body, "đã được Anh Tùng nhận")):
			told++
		}
	}
	if won != 1 || told != 1 {
		t.Errorf("two takers: %d won, %d told (%d, %d)", won, told, out[0].st, out[1].st)
	}
	var takes int
	if err := r.db.X.Get(&takes, `SELECT count(*) FROM case_events WHERE case_id = $1 AND kind = 'assigned'`, id); err != nil || takes != 1 {
		t.Errorf("%d assigned events: %v", takes, err)
	}
}

// Bad answers and outcomes get a polite refusal on the case page and
// write nothing.
func TestBadInput(t *testing.T) {
	r := newRig(t)
	id := r.newCase(communeA, "telegram", "Mai Văn Long")
	other := r.newCase(communeA, "telegram", "Lý Văn Minh")
	b, _ := r.member(store.RoleCounsellor, "Chị Nga", "nga", communeA)
	c, _ := r.member(store.RoleCounsellor, "Anh Phúc", "phuc", communeA)
	if st, _, _ := c.post("/case/"+strconv.FormatInt(other, 10)+"/take", url.Values{"csrf": {c.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("take: %d", st)
	}
	path := "/case/" + strconv.FormatInt(id, 10)
	tests := []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"empty answer", path + "/answer", url.Values{"text": {"  \r\n "}}, "trống"},
		{"empty note", path + "/note", url.Values{"text": {""}}, "trống"},
		{"overlong answer", path + "/answer", url.Values{"text": {strings.Repeat("ă", 3501)}}, "dài quá"},
		{"broken UTF-8", path + "/answer", url.Values{"text": {"xin chao \xff\xfe"}}, "không hợp lệ"},
		{"someone else's case", "/case/" + strconv.FormatInt(other, 10) + "/answer", url.Values{"text": {"chào"}}, "Anh Phúc"},
		{"unknown outcome", path + "/close", url.Values{"outcome": {"<script>"}}, "chọn kết quả"},
		{"not a case number", "/case/abc/take", url.Values{}, "Không tìm thấy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", b.csrf)
			st, body, _ := b.post(tt.path, tt.form)
			if (st != http.StatusConflict && st != http.StatusNotFound) || !strings.Contains(body, tt.want) {
				t.Errorf("%d, want a refusal saying %q:\n%s", st, tt.want, body)
			}
		})
	}
	var events int
	if err := r.db.X.Get(&events, `SELECT count(*) FROM case_events WHERE case_id = $1 OR (case_id = $2 AND kind <> 'assigned')`, id, other); err != nil || events != 0 {
		t.Errorf("%d events written by refused posts (%v)", events, err)
	}
}

// The desk is never framed, except by the origins the demo names for its
// playground.
func TestFraming(t *testing.T) {
	tests := []struct {
		name      string
		ancestors []string
		wantCSP   string
		wantXFO   string
	}{
		{"production", nil, "frame-ancestors 'none';", "DENY"},
		{"demo's playground", []string{"http://127.0.0.1:8081"}, "frame-ancestors http://127.0.0.1:8081;", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRigWith(t, func(o *desk.Options) { o.FrameAncestors = tt.ancestors })
			for _, path := range []string{"/signin", "/queue", "/style.css"} {
				resp, err := http.Get(r.srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, tt.wantCSP) {
					t.Errorf("%s: CSP %q lacks %q", path, csp, tt.wantCSP)
				}
				if xfo := resp.Header.Get("X-Frame-Options"); xfo != tt.wantXFO {
					t.Errorf("%s: X-Frame-Options %q, want %q", path, xfo, tt.wantXFO)
				}
			}
		})
	}
}
