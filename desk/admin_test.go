package desk_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"reentrybot/i18n"
	"reentrybot/report"
	"reentrybot/store"
)

// upload posts a multipart form with one file, as a browser does.
func (b *browser) upload(path string, fields url.Values, name string, data []byte) (int, string, string) {
	b.r.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			b.r.t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	resp, err := b.c.Post(b.r.srv.URL+path, mw.FormDataContentType(), &body)
	if err != nil {
		b.r.t.Fatal(err)
	}
	return b.read(resp)
}

func (r *rig) count(q string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.db.X.Get(&n, q, args...); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every admin page and action × every role: without a session a page
// sends to the sign-in and a POST is refused; a role Telegram refuses is
// refused here (403, audited as denied_*), with nothing written.
func TestAdminRoutesByRole(t *testing.T) {
	r := newRig(t)
	counsellor, _ := r.member(store.RoleCounsellor, "Chị Hoa", "hoa", communeA)
	officer, _ := r.member(store.RoleOfficer, "Cán bộ xã", "canbo", communeA)
	admin, _ := r.member(store.RoleAdmin, "Quản trị", "quantri")
	_, victim := r.member(store.RoleCounsellor, "Anh Nam", "nam", communeA)
	nobody := r.browser()
	revoke := "/staff/" + strconv.FormatInt(victim, 10) + "/revoke"
	const (
		get  = "GET"
		post = "POST"
	)
	routes := []struct {
		method, path string
		form         url.Values
		// statuses for counsellor, officer, admin
		want [3]int
	}{
		{get, "/report", nil, [3]int{403, 200, 200}},
		{get, "/report/file?format=csv", nil, [3]int{403, 200, 200}},
		{get, "/report/file?format=xlsx&month=2026-11", nil, [3]int{403, 200, 200}},
		{get, "/report/file?format=png", nil, [3]int{403, 200, 200}},
		{get, "/audit", nil, [3]int{403, 403, 200}},
		{get, "/audit?case=1&page=2", nil, [3]int{403, 403, 200}},
		{get, "/staff", nil, [3]int{403, 403, 200}},
		{get, "/import", nil, [3]int{403, 403, 200}},
		{post, "/staff/invite", url.Values{"role": {"admin"}, "communes": {"all"}, "name": {"Kẻ lạ"}, "days": {"7"}}, [3]int{403, 403, 200}},
		{post, "/import/preview", url.Values{"kind": {"communes"}}, [3]int{403, 403, 422}},
		{post, "/import/apply", url.Values{"kind": {"communes"}, "data": {"Y29kZQo="}}, [3]int{403, 403, 422}},
		{post, revoke, nil, [3]int{403, 403, 303}}, // last: it works once
	}
	staffBefore := r.count(`SELECT count(*) FROM staff`)
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			if rt.method == get {
				if st, _, loc := nobody.get(rt.path); st != http.StatusSeeOther || loc != "/signin" {
					t.Errorf("without a session: %d %s", st, loc)
				}
			} else if st, _, _ := nobody.post(rt.path, rt.form); st != http.StatusForbidden {
				t.Errorf("without a session: %d", st)
			}
			for i, b := range []*browser{counsellor, officer, admin} {
				var st int
				var body string
				if rt.method == get {
					st, body, _ = b.get(rt.path)
				} else {
					form := url.Values{"csrf": {b.csrf}}
					for k, v := range rt.form {
						form[k] = v
					}
					st, body, _ = b.post(rt.path, form)
				}
				if st != rt.want[i] {
					t.Errorf("role %d: %d, want %d\n%.400s", i, st, rt.want[i], body)
				}
			}
		})
	}
	// One staff record added (the admin's invite), one revoked by the admin.
	if n := r.count(`SELECT count(*) FROM staff`); n != staffBefore+1 {
		t.Errorf("%d staff records, want %d", n, staffBefore+1)
	}
	if n := r.count(`SELECT count(*) FROM staff WHERE NOT active`); n != 1 {
		t.Errorf("%d revoked, want 1", n)
	}
	denied := r.count(`SELECT count(*) FROM audit_log WHERE action LIKE 'denied\_%' AND detail LIKE 'desk /%'`)
	if denied != 12+8 { // counsellor: all 12; officer: the 8 admin-only ones
		t.Errorf("%d refusals audited, want 20", denied)
	}
}

// A POST without the session's CSRF token is refused and writes nothing.
func TestAdminCSRF(t *testing.T) {
	r := newRig(t)
	admin, _ := r.member(store.RoleAdmin, "Quản trị", "quantri")
	_, victim := r.member(store.RoleCounsellor, "Anh Nam", "nam", communeA)
	staff := r.count(`SELECT count(*) FROM staff`)
	courses := r.count(`SELECT count(*) FROM courses`)
	data := fixture(t, "courses.csv")
	for _, tok := range []string{"", "forged", admin.csrf + "x"} {
		if st, _, _ := admin.post("/staff/invite", url.Values{"csrf": {tok}, "role": {"admin"}, "communes": {"all"}, "name": {"X"}, "days": {"7"}}); st != http.StatusForbidden {
			t.Errorf("invite with csrf %q: %d", tok, st)
		}
		if st, _, _ := admin.post("/staff/"+strconv.FormatInt(victim, 10)+"/revoke", url.Values{"csrf": {tok}}); st != http.StatusForbidden {
			t.Errorf("revoke with csrf %q: %d", tok, st)
		}
		if st, _, _ := admin.upload("/import/preview", url.Values{"csrf": {tok}, "kind": {"courses"}}, "courses.csv", data); st != http.StatusForbidden {
			t.Errorf("preview with csrf %q: %d", tok, st)
		}
		if st, _, _ := admin.post("/import/apply", url.Values{"csrf": {tok}, "kind": {"courses"}, "data": {string(data)}}); st != http.StatusForbidden {
			t.Errorf("apply with csrf %q: %d", tok, st)
		}
	}
	if s, c, a := r.count(`SELECT count(*) FROM staff`), r.count(`SELECT count(*) FROM courses`), r.count(`SELECT count(*) FROM staff WHERE id = $1 AND active`, victim); s != staff || c != courses || a != 1 {
		t.Errorf("after CSRF-less posts: %d staff (was %d), %d courses (was %d), victim active %d", s, staff, c, courses, a)
	}
}

var (
	tagRe   = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idRe    = regexp.MustCompile(`\bid="([^"]+)"`)
	hiddenR = regexp.MustCompile(`type="hidden"`)
)

// Every visible input of the admin pages has a label.
func TestAdminLabels(t *testing.T) {
	r := newRig(t)
	admin, _ := r.member(store.RoleAdmin, "Quản trị", "quantri")
	officer, _ := r.member(store.RoleOfficer, "Cán bộ xã", "canbo", communeA)
	pages := map[string]*browser{"/report": officer, "/audit": admin, "/staff": admin, "/import": admin}
	for p, b := range pages {
		st, body, _ := b.get(p)
		if st != http.StatusOK {
			t.Fatalf("%s: %d", p, st)
		}
		tags := tagRe.FindAllString(body, -1)
		if len(tags) == 0 {
			t.Errorf("%s: no inputs found", p)
		}
		for _, tag := range tags {
			if hiddenR.MatchString(tag) {
				continue
			}
			m := idRe.FindStringSubmatch(tag)
			if m == nil || !strings.Contains(body, `<label for="`+m[1]+`"`) {
				t.Errorf("%s: %s has no label", p, tag)
			}
		}
	}
}

// cells reads an HTML table's body cells of the report page.
var rowRe = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
var cellRe = regexp.MustCompile(`(?s)<t[dh][^>]*>(.*?)</t[dh]>`)

func pageTable(body string) [][]string {
	i := strings.Index(body, `class="figures"`)
	if i < 0 {
		return nil
	}
	var out [][]string
	for _, row := range rowRe.FindAllStringSubmatch(body[i:], -1) {
		var cells []string
		for _, c := range cellRe.FindAllStringSubmatch(row[1], -1) {
			cells = append(cells, html.UnescapeString(c[1]))
		}
		out = append(out, cells)
	}
	return out
}

func csvTable(t *testing.T, data []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// The report page shows the member's scope with Telegram's rules: an
// officer their communes only, an admin the province with its exact row;
// small numbers hidden exactly as in the file /report sends (the page's
// table is the CSV's, which is package report's for the same audience).
func TestReport(t *testing.T) {
	r := newRig(t)
	for i := 0; i < 6; i++ {
		r.newCase(communeA, "telegram", "Người A "+strconv.Itoa(i))
	}
	for i := 0; i < 2; i++ {
		r.newCase(communeB, "zalo", "Người B "+strconv.Itoa(i))
	}
	officer, officerID := r.member(store.RoleOfficer, "Cán bộ xã", "canbo", communeA)
	admin, _ := r.member(store.RoleAdmin, "Quản trị", "quantri")
	cat, err := i18n.Load(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	month := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		b        *browser
		communes []string
	}{{"officer", officer, []string{communeA}}, {"admin", admin, nil}} {
		t.Run(tt.name, func(t *testing.T) {
			st, body, _ := tt.b.get("/report?month=2026-12")
			if st != http.StatusOK || !strings.Contains(body, `src="data:image/png;base64,`) {
				t.Fatalf("report page: %d\n%.500s", st, body)
			}
			rep, err := report.Generate(context.Background(), r.db, month, report.Audience{Communes: tt.communes}, r.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			if err := rep.CSV(&want, cat, i18n.Default); err != nil {
				t.Fatal(err)
			}
			got := pageTable(body)
			wantRows := csvTable(t, want.Bytes())
			if len(got) != len(wantRows) || strings.Join(got[0], "|") != strings.Join(wantRows[0], "|") {
				t.Fatalf("page table %d rows, CSV %d\n%v\n%v", len(got), len(wantRows), got, wantRows)
			}
			for i := range got {
				if strings.Join(got[i], "|") != strings.Join(wantRows[i], "|") {
					t.Errorf("row %d: page %v, report %v", i, got[i], wantRows[i])
				}
			}
			opened := -1
			for i, h := range wantRows[0] {
				if h == cat.T(i18n.Default, "report_col_opened", nil) {
					opened = i
				}
			}
			byCode := map[string][]string{}
			for _, row := range got[1:] {
				byCode[row[0]] = row
			}
			if a := byCode[communeA]; a == nil || a[opened] != "6" {
				t.Errorf("commune A's opened cases: %v", a)
			}
			b, seesB := byCode[communeB]
			if tt.communes != nil && seesB {
				t.Errorf("the officer sees commune B: %v", b)
			}
			if tt.communes == nil && (!seesB || b[opened] != report.Small) {
				t.Errorf("commune B's 2 cases not hidden as %q: %v", report.Small, b)
			}
			if tt.communes == nil && !strings.Contains(strings.Join(got[len(got)-1], "|"), "|8|") {
				t.Errorf("the admin's province row is not exact: %v", got[len(got)-1])
			}

			resp, err := tt.b.c.Get(r.srv.URL + "/report/file?month=2026-12&format=csv")
			if err != nil {
				t.Fatal(err)
			}
			st, file, _ := tt.b.read(resp)
			if st != http.StatusOK || file != want.String() || !strings.Contains(resp.Header.Get("Content-Disposition"), "bao-cao-2026-12.csv") {
				t.Errorf("CSV download: %d %q, differs from the report's: %v", st, resp.Header.Get("Content-Disposition"), file != want.String())
			}
			for format, magic := range map[string]string{"xlsx": "PK\x03\x04", "png": "\x89PNG"} {
				st, file, _ := tt.b.get("/report/file?month=2026-12&format=" + format)
				if st != http.StatusOK || !strings.HasPrefix(file, magic) {
					t.Errorf("%s download: %d, starts %q", format, st, file[:min(8, len(file))])
				}
			}
		})
	}
	if n := r.audited("report", officerID); n != 4 {
		t.Errorf("officer's report views audited %d times, want 4 (page, three files)", n)
	}
	// Bad months and formats are refused politely, nothing made.
	for _, p := range []string{"/report?month=2026-13", "/report?month=<b>", "/report/file?format=exe", "/report/file?format=csv&month=x"} {
		if st, body, _ := officer.get(p); st != http.StatusBadRequest || strings.Contains(body, "<b>") {
			t.Errorf("%s: %d", p, st)
		}
	}
}

// The audit log by case, staff and day, newest first, fifty a page;
// each view is audited, and bad filters are refused.
func TestAuditPage(t *testing.T) {
	r := newRig(t)
	admin, adminID := r.member(store.RoleAdmin, "Quản trị", "quantri")
	_, nam := r.member(store.RoleCounsellor, "Anh <Nam>", "nam", communeA)
	id := r.newCase(communeA, "telegram", "Lê Văn Cường")
	ctx := context.Background()
	for i := 0; i < 120; i++ {
		if err := r.db.Audit(ctx, nam, 0, "note", id, "line "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		r.clk.Advance(time.Second)
	}
	st, body, _ := admin.get("/audit?case=" + strconv.FormatInt(id, 10))
	if st != http.StatusOK || !strings.Contains(body, "120 dòng") || !strings.Contains(body, "trang 1/3") {
		t.Fatalf("case filter: %d\n%.600s", st, body)
	}
	if !strings.Contains(body, "line 119") || strings.Contains(body, "line 69<") || !strings.Contains(body, "Anh &lt;Nam&gt;") {
		t.Errorf("page 1 is not the newest 50, names escaped")
	}
	next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil || strings.Contains(body, `rel="prev"`) {
		t.Fatalf("page 1's links")
	}
	admin.get(html.UnescapeString(next[1]))
	st, body, _ = admin.get("/audit?case=" + strconv.FormatInt(id, 10) + "&page=3")
	// Two views of the case's log are in it by now (audit_view names the case).
	if st != http.StatusOK || !strings.Contains(body, "line 0<") || strings.Contains(body, "line 22<") || strings.Contains(body, `rel="next"`) {
		t.Errorf("page 3: %d", st)
	}
	if n := r.count(`SELECT count(*) FROM audit_log WHERE action = 'audit_view' AND staff_id = $1 AND case_id = $2`, adminID, id); n != 3 {
		t.Errorf("%d views of the case's log audited, want 3", n)
	}
	namLines := r.count(`SELECT count(*) FROM audit_log WHERE staff_id = $1`, nam)
	st, body, _ = admin.get("/audit?staff=" + strconv.FormatInt(nam, 10) + "&day=2026-12-03")
	if st != http.StatusOK || namLines < 120 || !strings.Contains(body, strconv.Itoa(namLines)+" dòng") {
		t.Errorf("staff and day: %d", st)
	}
	if _, body, _ = admin.get("/audit?day=2026-12-04"); !strings.Contains(body, "Không có dòng") {
		t.Errorf("another day shows lines")
	}
	views := r.audited("audit_view", adminID)
	for _, q := range []string{"case=abc", "staff=-1", "day=03/12/2026", "page=0", "case=%3Cscript%3E"} {
		if st, body, _ := admin.get("/audit?" + q); st != http.StatusBadRequest || strings.Contains(body, "<script>") {
			t.Errorf("%s: %d", q, st)
		}
	}
	if n := r.audited("audit_view", adminID); n != views {
		t.Errorf("refused filters audited as views: %d", n-views)
	}
}

var webLinkRe = regexp.MustCompile(`href="http://[^"]+/invite/([A-Za-z0-9_-]+)"`)

// An admin invites a counsellor from the desk (the same store call as the
// CLI): the web link redeems; revoking ends the new member's session.
// Bad forms are refused with what is wrong, writing nothing.
func TestStaffInvite(t *testing.T) {
	r := newRig(t)
	admin, adminID := r.member(store.RoleAdmin, "Quản trị", "quantri")
	before := r.count(`SELECT count(*) FROM staff`)
	bad := []struct {
		name string
		form url.Values
		want string
	}{
		{"no role", url.Values{"role": {"boss"}, "communes": {communeA}, "name": {"A"}, "days": {"7"}}, "vai trò"},
		{"officer everywhere", url.Values{"role": {"officer"}, "communes": {"all"}, "name": {"A"}, "days": {"7"}}, "không phải toàn tỉnh"},
		{"not a code", url.Values{"role": {"counsellor"}, "communes": {"07840,abc"}, "name": {"A"}, "days": {"7"}}, "không phải mã"},
		{"unknown commune", url.Values{"role": {"counsellor"}, "communes": {"99999"}, "name": {"A"}, "days": {"7"}}, "99999"},
		{"no communes", url.Values{"role": {"counsellor"}, "communes": {" "}, "name": {"A"}, "days": {"7"}}, "mã xã/phường"},
		{"no name", url.Values{"role": {"counsellor"}, "communes": {communeA}, "name": {""}, "days": {"7"}}, "tên hiển thị"},
		{"long name", url.Values{"role": {"counsellor"}, "communes": {communeA}, "name": {strings.Repeat("ă", 65)}, "days": {"7"}}, "tên hiển thị"},
		{"HTML name", url.Values{"role": {"counsellor"}, "communes": {communeA}, "name": {"<b>Lan</b>"}, "days": {"7"}}, "không hợp lệ"},
		{"broken UTF-8", url.Values{"role": {"counsellor"}, "communes": {communeA}, "name": {"Lan \xff"}, "days": {"7"}}, "không hợp lệ"},
		{"days", url.Values{"role": {"counsellor"}, "communes": {communeA}, "name": {"A"}, "days": {"91"}}, "90 ngày"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", admin.csrf)
			st, body, _ := admin.post("/staff/invite", tt.form)
			if st != http.StatusBadRequest || !strings.Contains(body, tt.want) || strings.Contains(body, "<b>Lan") {
				t.Errorf("%d, want a refusal saying %q\n%.300s", st, tt.want, body)
			}
		})
	}
	if n := r.count(`SELECT count(*) FROM staff`); n != before {
		t.Fatalf("refused invites wrote %d staff", n-before)
	}

	st, body, _ := admin.post("/staff/invite", url.Values{"csrf": {admin.csrf}, "role": {"counsellor"}, "communes": {communeA + ", " + communeB}, "name": {"Chị Lan (TTDVVL)"}, "days": {"3"}})
	m := webLinkRe.FindStringSubmatch(body)
	if st != http.StatusOK || m == nil || !strings.Contains(body, "https://t.me/reentry_test_bot?start=s_"+m[1]) || !strings.Contains(body, "data:image/png") {
		t.Fatalf("invite: %d, web link %v\n%.800s", st, m, body)
	}
	var role string
	var communes string
	if err := r.db.X.QueryRow(`SELECT role, array_to_string(communes, ',') FROM staff WHERE display_name = 'Chị Lan (TTDVVL)'`).Scan(&role, &communes); err != nil || role != "counsellor" || communes != communeA+","+communeB {
		t.Errorf("staff record: %s %s %v", role, communes, err)
	}
	if r.audited("staff_invite", adminID) != 1 {
		t.Errorf("invite not audited")
	}
	lan := r.browser()
	secret := lan.redeem(m[1], "lan")
	r.clk.Advance(30 * time.Second)
	if st, loc := lan.signIn("lan", password, secret); st != http.StatusSeeOther || loc != "/" {
		t.Fatalf("the invited member's sign-in: %d %s", st, loc)
	}
	_, body, _ = admin.get("/staff")
	if !strings.Contains(body, "Chị Lan (TTDVVL)") || !strings.Contains(body, "Đang hoạt động") {
		t.Errorf("staff list after redeeming:\n%.1500s", body)
	}
	var lanID int64
	if err := r.db.X.Get(&lanID, `SELECT staff_id FROM desk_accounts WHERE login = 'lan'`); err != nil {
		t.Fatal(err)
	}
	path := "/staff/" + strconv.FormatInt(lanID, 10) + "/revoke"
	if st, _, loc := admin.post(path, url.Values{"csrf": {admin.csrf}}); st != http.StatusSeeOther || loc != "/staff?m=revoked" {
		t.Fatalf("revoke: %d %s", st, loc)
	}
	if st, _, loc := lan.get("/queue"); st != http.StatusSeeOther || loc != "/signin" {
		t.Errorf("the revoked member's session: %d %s", st, loc)
	}
	if st, _, _ := admin.post(path, url.Values{"csrf": {admin.csrf}}); st != http.StatusNotFound {
		t.Errorf("revoking twice: %d", st)
	}
	if st, _, _ := admin.post("/staff/"+strconv.FormatInt(adminID, 10)+"/revoke", url.Values{"csrf": {admin.csrf}}); st != http.StatusConflict {
		t.Errorf("revoking oneself: %d", st)
	}
	if st, _, _ := admin.post("/staff/x/revoke", url.Values{"csrf": {admin.csrf}}); st != http.StatusNotFound {
		t.Errorf("revoking no number: %d", st)
	}
	if r.audited("staff_revoke", adminID) != 1 || r.count(`SELECT count(*) FROM staff WHERE id = $1 AND active`, adminID) != 1 {
		t.Errorf("revocations audited %d; the admin must still be active", r.audited("staff_revoke", adminID))
	}
}

var dataRe = regexp.MustCompile(`name="data" value="([^"]+)"`)

// An import file is checked by package refdata as the CLI does: refused
// files say why line by line and write nothing; a good file's preview
// counts the changes without making them; applying makes them.
func TestImport(t *testing.T) {
	r := newRig(t)
	admin, adminID := r.member(store.RoleAdmin, "Quản trị", "quantri")
	courses := func() int { return r.count(`SELECT count(*) FROM courses WHERE code LIKE 'DESK-%'`) }

	st, body, _ := admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"communes"}}, "communes.csv", fixture(t, "communes-bad.csv"))
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Dòng 3, cột type") || !strings.Contains(body, "Dòng 4, cột code") {
		t.Errorf("bad communes file: %d\n%.1500s", st, body)
	}
	st, body, _ = admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"courses"}}, "c.csv", fixture(t, "courses-unknown-commune.csv"))
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Dòng 3, cột commune_code: không có xã/phường mã 99999") {
		t.Errorf("course of an unknown commune (the import's own check): %d\n%.1500s", st, body)
	}
	if n := r.count(`SELECT count(*) FROM audit_log WHERE action = 'import_refused' AND staff_id = $1`, adminID); n != 2 {
		t.Errorf("refused files audited %d times", n)
	}

	st, body, _ = admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"courses"}}, "courses.csv", fixture(t, "courses.csv"))
	m := dataRe.FindStringSubmatch(body)
	if st != http.StatusOK || !strings.Contains(body, "2 thêm mới, 0 thay đổi") || m == nil {
		t.Fatalf("preview: %d\n%.1500s", st, body)
	}
	if n := courses(); n != 0 {
		t.Fatalf("the preview wrote %d courses", n)
	}
	st, body, _ = admin.post("/import/apply", url.Values{"csrf": {admin.csrf}, "kind": {"courses"}, "data": {html.UnescapeString(m[1])}})
	if st != http.StatusOK || !strings.Contains(body, "Đã nhập") || courses() != 2 {
		t.Fatalf("apply: %d, %d courses\n%.1000s", st, courses(), body)
	}
	if n := r.count(`SELECT count(*) FROM audit_log WHERE action = 'import' AND staff_id = $1 AND detail LIKE '%courses: 2 added%'`, adminID); n != 1 {
		t.Errorf("import audited %d times", n)
	}
	// The same file again changes nothing: the preview says so.
	_, body, _ = admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"courses"}}, "courses.csv", fixture(t, "courses.csv"))
	if !strings.Contains(body, "0 thêm mới, 0 thay đổi, 2 giữ nguyên") || strings.Contains(body, `action="/import/apply"`) {
		t.Errorf("second preview:\n%.1500s", body)
	}

	// Bad requests: no file, unknown kind, a tampered apply.
	for _, tt := range []struct {
		name string
		do   func() (int, string, string)
	}{
		{"no file", func() (int, string, string) {
			return admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"courses"}}, "", nil)
		}},
		{"unknown kind", func() (int, string, string) {
			return admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"staff"}}, "s.csv", []byte("role\n"))
		}},
		{"too large", func() (int, string, string) {
			return admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"courses"}}, "c.csv", bytes.Repeat([]byte("a"), 2<<20+1))
		}},
		{"apply not base64", func() (int, string, string) {
			return admin.post("/import/apply", url.Values{"csrf": {admin.csrf}, "kind": {"courses"}, "data": {"%%%"}})
		}},
		{"apply broken file", func() (int, string, string) {
			return admin.post("/import/apply", url.Values{"csrf": {admin.csrf}, "kind": {"loan-days"}, "data": {"Y29tbXVuZV9jb2RlCjEK"}})
		}},
	} {
		if st, _, _ := tt.do(); st != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", tt.name, st)
		}
	}
	if n := courses(); n != 2 {
		t.Errorf("refused requests changed courses: %d", n)
	}
}

// Retiring what a communes file leaves out is previewed, rolled back: the
// preview counts the communes that would go, and none has gone.
func TestImportRetirePreview(t *testing.T) {
	r := newRig(t)
	admin, _ := r.member(store.RoleAdmin, "Quản trị", "quantri")
	active := r.count(`SELECT count(*) FROM communes WHERE active`)
	names := r.count(`SELECT count(*) FROM communes WHERE code IN ($1, $2) AND name IN ('Hiệp Hòa', 'Hợp Thịnh')`, communeA, communeB)
	st, body, _ := admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"communes"}, "retire": {"on"}}, "communes.csv", fixture(t, "communes-two.csv"))
	if st != http.StatusOK || !strings.Contains(body, strconv.Itoa(active-2)+" ngừng dùng") || !strings.Contains(body, `name="retire" value="on"`) {
		t.Fatalf("preview with retiring (%d active): %d\n%.2000s", active, st, body)
	}
	if n := r.count(`SELECT count(*) FROM communes WHERE active`); n != active || active < 50 {
		t.Errorf("after the preview %d communes active, was %d", n, active)
	}
	if n := r.count(`SELECT count(*) FROM communes WHERE code IN ($1, $2) AND name IN ('Hiệp Hòa', 'Hợp Thịnh')`, communeA, communeB); n != names {
		t.Errorf("the preview changed names")
	}
	// Loan days take no retiring: the box is ignored, as the CLI has none.
	st, body, _ = admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"loan-days"}, "retire": {"on"}}, "l.csv",
		[]byte("commune_code,day,place,starts_at,ends_at,capacity\n"+communeA+",2027-01-12,UBND xã,07:30,11:00,20\n"))
	if st != http.StatusOK || !strings.Contains(body, "1 thêm mới") || strings.Contains(body, `name="retire" value="on"`) {
		t.Errorf("loan days preview: %d\n%.1500s", st, body)
	}
}
