package desk_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"reentrybot/desk"
	"reentrybot/refdata"
	"reentrybot/store"
)

// The queue and a case page, their live parts and the messages written
// on them follow the member's language: English for one who picked it,
// Vietnamese for one who did not (or who picked it back on an English
// browser), with nothing of the other language left.
func TestQueueAndCaseInMemberLanguage(t *testing.T) {
	vi := []string{"<h1>Hàng chờ</h1>", "Các ca đang mở, cũ nhất trước", "Trò chuyện trên web", "Lịch sử", "Nhận ca",
		"Ghi chú nội bộ", "Đóng ca", "Trả lời", "Kết quả", "phút", "đã nhận ca", "Bạn đã nhận ca này.", "Nội dung đang trống.",
		"Không tìm thấy ca này"}
	en := []string{"<h1>Queue</h1>", "Open cases, oldest first", "Web chat", "History", "Take the case",
		"Internal note", "Close the case", "Answer (sent", "Outcome", "minutes", "took the case", "You took this case.", "The text is empty.",
		"This case was not found"}
	for i, tt := range []struct {
		name, accept string
		picks        []string // /lang/ links followed, in order
		lang         string
		want, absent []string
	}{
		{"picked English", "", []string{"en"}, "en", en, vi},
		{"picked nothing", "", nil, "vi", vi, en},
		{"picked Vietnamese back on an English browser", "en-US,en", []string{"en", "vi"}, "vi", vi, en},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			b := r.memberIn(tt.accept, tt.picks, store.RoleCounsellor, "Chị Mai", "mai"+strconv.Itoa(i), communeA)
			id := r.newCase(communeA, "web", "Nguyễn Văn An")
			path := "/case/" + strconv.FormatInt(id, 10)
			r.clk.Advance(5 * time.Minute)

			seen, page := pagesIn(t, tt.lang)
			st, body, _ := b.get("/queue")
			page("queue", st, http.StatusOK, body)
			seen.WriteString(b.live("/live").next("the queue's first update").parts["live-queue"].HTML)
			st, body, _ = b.get(path)
			page("case", st, http.StatusOK, body)
			if st, _, _ := b.post(path+"/take", url.Values{"csrf": {b.csrf}}); st != http.StatusSeeOther {
				t.Fatalf("take: %d", st)
			}
			st, body, _ = b.get(path + "?m=taken")
			page("case after take", st, http.StatusOK, body)
			st, body, _ = b.post(path+"/note", url.Values{"csrf": {b.csrf}, "text": {"  "}})
			page("an empty note", st, http.StatusConflict, body)
			for _, p := range b.live("/live?case=" + strconv.FormatInt(id, 10)).next("the case's first update").parts {
				seen.WriteString(p.HTML)
			}
			st, body, _ = b.get("/case/999999")
			page("a case not found", st, http.StatusNotFound, body)

			saysOnly(t, seen.String(), tt.want, tt.absent)
		})
	}
}

// memberIn is a member signed in from a browser preferring accept (""
// for none) who then followed the language links picks.
func (r *rig) memberIn(accept string, picks []string, role store.Role, name, login string, communes ...string) *browser {
	t := r.t
	t.Helper()
	b := r.browserWith(map[string]string{"Accept-Language": accept})
	secret := b.redeem(r.invite(role, name, communes...), login)
	r.clk.Advance(30 * time.Second)
	if st, loc := b.signIn(login, password, secret); st != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", st, loc)
	}
	for _, l := range picks {
		if st, _, loc := b.get("/lang/" + l + "?to=/"); st != http.StatusSeeOther || loc != "/" {
			t.Fatalf("picking %s: %d %s", l, st, loc)
		}
	}
	return b
}

// pagesIn collects what a member was shown; page checks one page's status
// and that it is in lang, and keeps it.
func pagesIn(t *testing.T, lang string) (*strings.Builder, func(what string, st, want int, body string)) {
	var seen strings.Builder
	return &seen, func(what string, st, want int, body string) {
		t.Helper()
		if st != want || !strings.Contains(body, `<html lang="`+lang+`">`) {
			t.Errorf("%s: %d (want %d), not in %s:\n%s", what, st, want, lang, body)
		}
		seen.WriteString(body)
	}
}

// langCase is a member's language pick and what their pages must say and
// not say.
type langCase struct {
	name, accept string
	picks        []string // /lang/ links followed, in order
	lang         string
	want, absent []string
}

// pickedOrNot are a member who picked English and one who picked nothing.
func pickedOrNot(vi, en []string) []langCase {
	return []langCase{
		{"picked English", "", []string{"en"}, "en", en, vi},
		{"picked nothing", "", nil, "vi", vi, en},
	}
}

// saysOnly checks that what a member was shown has every string of want
// and none of absent (the other language's).
func saysOnly(t *testing.T, shown string, want, absent []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(shown, s) {
			t.Errorf("missing %q", s)
		}
	}
	for _, s := range absent {
		if strings.Contains(shown, s) {
			t.Errorf("left in the other language: %q", s)
		}
	}
}

// The announcement pages (list, composer, preview) and their messages
// follow the member's language too; the announcement itself stays as
// recipients read it.
func TestAnnouncePagesInMemberLanguage(t *testing.T) {
	vi := []string{"<h1>Soạn thông báo</h1>", "Gửi tới", "Những ai", "8 giờ sáng mai", "Không đọc được thời điểm gửi",
		"Người nhận sẽ đọc đúng như sau", "&lt; 5 người", "08:00 ngày 04/12/2026", "cần quản trị viên duyệt", "Chờ quản trị duyệt",
		"Tiến độ", "Đang chờ", "Thông báo đã được gửi tới quản trị viên", "Không huỷ được thông báo này"}
	en := []string{"<h1>New announcement</h1>", "Send to", "Tomorrow at 8 am", "could not be read",
		"Recipients will read exactly this", "&lt; 5 people", "08:00 on 04/12/2026", "needs an admin", "Waiting for an admin",
		"Progress", "The announcement went to an admin", "cannot be cancelled"}
	for i, tt := range pickedOrNot(vi, en) {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := announceRig(t, 2)
			r.people(communeA, "telegram", 3)
			b := r.memberIn(tt.accept, tt.picks, store.RoleOfficer, "UBND xã A", "xa"+strconv.Itoa(i), communeA)
			seen, page := pagesIn(t, tt.lang)
			st, body, _ := b.get("/announce/new")
			page("composer", st, http.StatusOK, body)
			bad := compose(b.csrf, "Hội chợ việc làm", communeA)
			bad.Set("when", "at")
			bad.Set("at", "31/02 08:00")
			st, body, _ = b.post("/announce/preview", bad)
			page("an impossible date", st, http.StatusUnprocessableEntity, body)
			f := compose(b.csrf, "Hội chợ việc làm", communeA)
			f.Set("when", "tomorrow")
			st, body, _ = b.post("/announce/preview", f)
			page("preview", st, http.StatusOK, body)
			var id int64
			if err := r.db.X.Get(&id, `SELECT id FROM broadcasts WHERE status = 'draft'`); err != nil {
				t.Fatal(err)
			}
			if st, _, loc := b.post("/announce/confirm", url.Values{"csrf": {b.csrf}, "id": {strconv.FormatInt(id, 10)}}); st != http.StatusSeeOther || loc != "/announce?m=pending" {
				t.Fatalf("confirm: %d %s", st, loc)
			}
			st, body, _ = b.get("/announce?m=pending")
			page("list", st, http.StatusOK, body)
			st, body, _ = b.post("/announce/999999/cancel", url.Values{"csrf": {b.csrf}})
			page("cancelling what is not there", st, http.StatusConflict, body)
			saysOnly(t, seen.String(), tt.want, tt.absent)
		})
	}
}

// The officers' and admins' pages (report with its table and files, audit
// log, staff, import) and their messages follow the member's language too,
// what refdata finds wrong in a file as well (TestImportProblemsInMemberLanguage).
func TestAdminPagesInMemberLanguage(t *testing.T) {
	vi := []string{"<h1>Báo cáo tháng</h1>", "Tháng (NNNN-TT)", "Số dưới 5 được ghi", "Tải về:", "Biểu đồ (PNG)", "Đăng ký mới",
		"Tháng không hợp lệ", "Không có tệp báo cáo này",
		"<h1>Nhật ký</h1>", "mới nhất trước · trang 1/1", "Số ca phải là một số", "Ngày phải theo dạng", "Các thao tác đã ghi lại",
		"<h1>Nhân viên</h1>", "Mời nhân viên", "Tư vấn viên", "<td>Đang hoạt động</td>", "Tạo lời mời", "Hãy chọn vai trò",
		"Thời hạn lời mời từ 1 đến 90 ngày", "Đã tạo lời mời cho Chị Lan", "Trên trình duyệt, không cần Telegram",
		"Bạn không thể tự thu hồi quyền", "Thu hồi quyền của",
		"<h1>Nhập dữ liệu</h1>", "Khoá học nghề", "Dòng 3, cột type", "Tệp bị từ chối vì", "Xem trước: Khoá học nghề",
		"2 thêm mới, 0 thay đổi", "Đã nhập Khoá học nghề", "Tải tệp lên",
		"Vai trò của bạn không được dùng trang này."}
	en := []string{"<h1>Monthly report</h1>", "Month (YYYY-MM)", "Numbers below 5 are written", "Download:", "Chart (PNG)", "New registrations",
		"The month is not valid", "There is no such report file",
		"<h1>Audit log</h1>", "newest first · page 1/1", "The case number must be a number", "Write the day as YYYY-MM-DD", "Actions recorded",
		"<h1>Staff</h1>", "Invite a staff member", "Counsellor", "<td>Active</td>", "Make the invitation", "Choose a role",
		"An invitation lasts 1 to 90 days", "Invitation made for Chị Lan", "In a browser, without Telegram",
		"You cannot revoke your own access", "Revoke the access of",
		"<h1>Import data</h1>", "Vocational courses", "Line 3, column type", "The file was refused", "Preview: Vocational courses",
		"2 added, 0 changed", "Imported Vocational courses", "Upload a file",
		"Your role may not use this page."}
	for i, tt := range pickedOrNot(vi, en) {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.newCase(communeA, "telegram", "Nguyễn Văn An")
			login := "qt" + strconv.Itoa(i)
			admin := r.memberIn(tt.accept, tt.picks, store.RoleAdmin, "Quản trị", login)
			officer := r.memberIn(tt.accept, tt.picks, store.RoleOfficer, "Cán bộ xã", "cb"+strconv.Itoa(i), communeA)
			seen, page := pagesIn(t, tt.lang)
			for _, p := range []struct {
				b    *browser
				path string
				st   int
				what string
			}{
				{admin, "/report?month=2026-12", http.StatusOK, "report"},
				{admin, "/report?month=2026-13", http.StatusBadRequest, "a month that is not"},
				{admin, "/report/file?month=2026-12&format=doc", http.StatusBadRequest, "a file that is not"},
				{admin, "/audit", http.StatusOK, "audit log"},
				{admin, "/audit?case=abc&day=x", http.StatusBadRequest, "audit filters wrong"},
				{admin, "/staff", http.StatusOK, "staff"},
				{admin, "/import", http.StatusOK, "import"},
				{officer, "/audit", http.StatusForbidden, "the audit log refused to an officer"},
			} {
				st, body, _ := p.b.get(p.path)
				page(p.what, st, p.st, body)
			}
			st, body, _ := admin.get("/report/file?month=2026-12&format=csv")
			if st != http.StatusOK {
				t.Errorf("report file: %d", st)
			}
			seen.WriteString(body)

			invite := url.Values{"csrf": {admin.csrf}, "role": {"nobody"}, "communes": {communeA}, "name": {"Chị Lan"}, "days": {"0"}}
			st, body, _ = admin.post("/staff/invite", invite)
			page("an invite with problems", st, http.StatusBadRequest, body)
			invite.Set("role", "counsellor")
			invite.Set("days", "7")
			st, body, _ = admin.post("/staff/invite", invite)
			page("an invite made", st, http.StatusOK, body)
			var adminID int64
			if err := r.db.X.Get(&adminID, `SELECT staff_id FROM desk_accounts WHERE login = $1`, login); err != nil {
				t.Fatal(err)
			}
			st, body, _ = admin.post("/staff/"+strconv.FormatInt(adminID, 10)+"/revoke", url.Values{"csrf": {admin.csrf}})
			page("revoking oneself", st, http.StatusConflict, body)

			kind := func(k string) url.Values { return url.Values{"csrf": {admin.csrf}, "kind": {k}} }
			st, body, _ = admin.upload("/import/preview", kind("communes"), "communes.csv", fixture(t, "communes-bad.csv"))
			page("a refused file", st, http.StatusUnprocessableEntity, body)
			st, body, _ = admin.upload("/import/preview", kind("courses"), "courses.csv", fixture(t, "courses.csv"))
			page("a preview", st, http.StatusOK, body)
			m := dataRe.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no data in the preview")
			}
			apply := kind("courses")
			apply.Set("data", html.UnescapeString(m[1]))
			st, body, _ = admin.post("/import/apply", apply)
			page("an import", st, http.StatusOK, body)

			saysOnly(t, seen.String(), tt.want, tt.absent)
		})
	}
}

// A browser left signed in follows the language the member picks on
// another, on its next page, without a link followed there; its cookie
// follows too, so its sign-in page after signing out says the same.
func TestPagesFollowAccountLanguage(t *testing.T) {
	r := newRig(t)
	left, _ := r.member(store.RoleCounsellor, "Chị Mai", "mai", communeA)
	other := r.signedInAgain("mai")
	for _, tt := range []struct{ pick, lang, says string }{
		{"en", "en", "<h1>Queue</h1>"},
		{"vi", "vi", "<h1>Hàng chờ</h1>"},
		{"en", "en", "<h1>Queue</h1>"},
	} {
		if st, _, _ := other.get("/lang/" + tt.pick + "?to=/queue"); st != http.StatusSeeOther {
			t.Fatalf("picking %s: %d", tt.pick, st)
		}
		st, body, _ := left.get("/queue")
		if st != http.StatusOK || !strings.Contains(body, `<html lang="`+tt.lang+`">`) || !strings.Contains(body, tt.says) {
			t.Errorf("after %s picked elsewhere: %d, not in %s\n%.400s", tt.pick, st, tt.lang, body)
		}
	}
	if st, _, _ := left.post("/signout", url.Values{"csrf": {left.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", st)
	}
	if _, body, _ := left.get("/signin"); !strings.Contains(body, `<html lang="en">`) {
		t.Errorf("the sign-in page after signing out is not in the member's language")
	}
}

// What refdata finds wrong in a file is worded in the member's language:
// every problem in Vietnamese with nothing of the CLI's English left, or in
// English as the CLI says it. The problems are refdata's own, from parsing
// (wrong values, a broken quote) and from the import's checks against the
// database (an unknown commune).
func TestImportProblemsInMemberLanguage(t *testing.T) {
	files := []struct{ kind, file string }{
		{"communes", "communes-bad.csv"},
		{"communes", "communes-quote.csv"},
		{"courses", "courses-unknown-commune.csv"},
		{"loan-days", "loan-days-bad.csv"},
	}
	vi := []string{
		`Dòng 3, cột type: "district": phải là một trong các giá trị commune, ward`,
		`Dòng 4, cột code: "0784x" không phải mã gồm các chữ số`,
		`Dòng 2: có dấu ngoặc kép (") trong một ô không đặt trong ngoặc kép`,
		"Dòng 3, cột commune_code: không có xã/phường mã 99999 (hãy nhập danh sách xã/phường trước)",
		`Dòng 2, cột day: "08/12/2026": phải là ngày dạng NNNN-TT-NN`,
		"Dòng 3, cột ends_at: giờ kết thúc 07:30 không muộn hơn giờ bắt đầu 11:00",
		`Dòng 4, cột starts_at: "7h30": phải là giờ dạng GG:PP`,
		`Dòng 4, cột capacity: "hai mươi": phải là số nguyên từ 0 đến 10000`,
		"Dòng 6, cột place: đang để trống",
		"Dòng 6, cột starts_at: cùng xã, ngày và giờ bắt đầu này đã có ở dòng 5",
		"… và 10 lỗi khác",
	}
	en := []string{
		`Line 3, column type: "district": must be one of commune, ward`,
		`Line 4, column code: "0784x" is not a code of digits`,
		`Line 2: a quote mark (") inside a field that is not in quotes`,
		"Line 3, column commune_code: no commune 99999 (import the communes first)",
		`Line 2, column day: "08/12/2026": must be a date YYYY-MM-DD`,
		"Line 3, column ends_at: 07:30 is not after the start 11:00",
		`Line 4, column starts_at: "7h30": must be a time HH:MM`,
		`Line 4, column capacity: "hai mươi": must be a whole number from 0 to 10000`,
		"Line 6, column place: is empty",
		"Line 6, column starts_at: the same commune, day and start are already on line 5",
		"… and 10 more",
	}
	for i, tt := range pickedOrNot(vi, en) {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			admin := r.memberIn(tt.accept, tt.picks, store.RoleAdmin, "Quản trị", "qt"+strconv.Itoa(i))
			if st, _, _ := admin.get("/import"); st != http.StatusOK { // its CSRF token
				t.Fatalf("import page: %d", st)
			}
			var shown strings.Builder
			var english []string // the CLI's wording of every problem
			for _, f := range files {
				data := fixture(t, f.file)
				st, body, _ := admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {f.kind}}, f.file, data)
				if st != http.StatusUnprocessableEntity || !strings.Contains(body, `<html lang="`+tt.lang+`">`) {
					t.Errorf("%s: %d, not a refusal in %s\n%.1500s", f.file, st, tt.lang, body)
				}
				shown.WriteString(html.UnescapeString(body))
				_, err := desk.ImportRun(store.DryRun(context.Background()), r.db, f.kind, data, false)
				var probs refdata.Problems
				if !errors.As(err, &probs) {
					t.Fatalf("%s: no problems: %v", f.file, err)
				}
				for _, p := range probs {
					english = append(english, p.English())
				}
			}
			// A file of many bad lines lists the first 50, then a count.
			many := "code,name,full_name,type,province_code\n"
			for i := range 60 {
				many += "x" + strconv.Itoa(i) + ",B,P,ward,10\n"
			}
			st, body, _ := admin.upload("/import/preview", url.Values{"csrf": {admin.csrf}, "kind": {"communes"}}, "many.csv", []byte(many))
			if n := strings.Count(body, "<li>"); st != http.StatusUnprocessableEntity || n != 51 {
				t.Errorf("60 bad lines: %d, %d listed", st, n)
			}
			shown.WriteString(html.UnescapeString(body))
			saysOnly(t, shown.String(), tt.want, tt.absent)
			for _, e := range english {
				if got := strings.Contains(shown.String(), e); got != (tt.lang == "en") {
					t.Errorf("the CLI's %q shown: %v", e, got)
				}
			}
		})
	}
}
