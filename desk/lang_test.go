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
			b := r.browserWith(map[string]string{"Accept-Language": tt.accept})
			secret := b.redeem(r.invite(store.RoleCounsellor, "Chị Mai", communeA), "mai"+strconv.Itoa(i))
			r.clk.Advance(30 * time.Second)
			if st, loc := b.signIn("mai"+strconv.Itoa(i), password, secret); st != http.StatusSeeOther {
				t.Fatalf("sign-in: %d %s", st, loc)
			}
			for _, l := range tt.picks {
				if st, _, loc := b.get("/lang/" + l + "?to=/queue"); st != http.StatusSeeOther || loc != "/queue" {
					t.Fatalf("picking %s: %d %s", l, st, loc)
				}
			}
			id := r.newCase(communeA, "web", "Nguyễn Văn An")
			path := "/case/" + strconv.FormatInt(id, 10)
			r.clk.Advance(5 * time.Minute)

			var seen strings.Builder // every page and part the member got
			page := func(what string, st, want int, body string) {
				t.Helper()
				if st != want || !strings.Contains(body, `<html lang="`+tt.lang+`">`) {
					t.Errorf("%s: %d (want %d), not in %s:\n%s", what, st, want, tt.lang, body)
				}
				seen.WriteString(body)
			}
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

			all := seen.String()
			for _, s := range tt.want {
				if !strings.Contains(all, s) {
					t.Errorf("missing %q", s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(all, s) {
					t.Errorf("left in the other language: %q", s)
				}
			}
		})
	}
}
