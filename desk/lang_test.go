package desk_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

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
	for i, tt := range []struct {
		name, accept string
		picks        []string
		lang         string
		want, absent []string
	}{
		{"picked English", "", []string{"en"}, "en", en, vi},
		{"picked nothing", "", nil, "vi", vi, en},
	} {
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
