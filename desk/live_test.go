package desk_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"reentrybot/store"
)

// stream is a browser's open /live stream; events arrive on ch.
type stream struct {
	t  *testing.T
	ch chan sse
}

type sse struct {
	event string
	parts map[string]struct {
		HTML  string `json:"html"`
		State string `json:"state"`
	}
}

// live opens path's stream in b's browser (its cookies); it ends with the
// test.
func (b *browser) live(path string) *stream {
	t := b.r.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.r.srv.URL+path, nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{t: t, ch: make(chan sse, 100)}
	go func() {
		defer resp.Body.Close()
		defer close(s.ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.parts); err != nil {
					t.Errorf("event data: %v: %s", err, line)
				}
			case line == "" && ev.event != "":
				s.ch <- ev
				ev = sse{}
			}
		}
	}()
	return s
}

// next is the stream's next event; the test fails when none comes in 10 s
// or the stream ends.
func (s *stream) next(what string) sse {
	s.t.Helper()
	select {
	case ev, ok := <-s.ch:
		if !ok {
			s.t.Fatalf("%s: the stream ended", what)
		}
		return ev
	case <-time.After(10 * time.Second):
		s.t.Fatalf("%s: no event in 10 s", what)
	}
	return sse{}
}

// until reads events until one satisfies ok.
func (s *stream) until(what string, ok func(sse) bool) sse {
	s.t.Helper()
	for {
		if ev := s.next(what); ok(ev) {
			return ev
		}
	}
}

func caseLink(id int64) string { return `href="/case/` + strconv.FormatInt(id, 10) + `"` }

// The queue updates without reload when a case arrives in the member's
// scope and when a colleague takes or closes one; nothing of a case out
// of scope reaches the stream.
func TestLiveQueue(t *testing.T) {
	r := newRig(t)
	a, _ := r.member(store.RoleCounsellor, "Chị Hoa", "hoa", communeA)
	colleague, _ := r.member(store.RoleCounsellor, "Anh Nam", "nam", communeA)
	s := a.live("/live")
	first := s.next("the first update")
	if first.event != "update" || !strings.Contains(first.parts["live-queue"].HTML, "Không có ca nào") {
		t.Fatalf("first update: %+v", first)
	}

	outside := r.newCase(communeB, "telegram", "Lý Văn Ngoài")
	inside := r.newCase(communeA, "zalo", "Phan Văn Trong")
	ev := s.until("the new case in scope", func(ev sse) bool { return strings.Contains(ev.parts["live-queue"].HTML, caseLink(inside)) })
	if strings.Contains(ev.parts["live-queue"].HTML, caseLink(outside)) {
		t.Errorf("a case out of scope in the queue:\n%s", ev.parts["live-queue"].HTML)
	}

	path := "/case/" + strconv.FormatInt(inside, 10)
	if st, _, _ := colleague.post(path+"/take", url.Values{"csrf": {colleague.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("colleague's take: %d", st)
	}
	s.until("the colleague's take", func(ev sse) bool { return strings.Contains(ev.parts["live-queue"].HTML, "Anh Nam") })
	if st, _, _ := colleague.post(path+"/close", url.Values{"csrf": {colleague.csrf}, "outcome": {"job_found"}}); st != http.StatusSeeOther {
		t.Fatalf("colleague's close: %d", st)
	}
	s.until("the colleague's close", func(ev sse) bool {
		return ev.event == "update" && !strings.Contains(ev.parts["live-queue"].HTML, caseLink(inside))
	})

	// Changes of the case out of scope never make an update: the next one
	// after them is the next case in scope.
	ctx := context.Background()
	if err := r.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: outside, Actor: "returnee", Kind: "message", Body: "tin ngoài phạm vi", RelayTo: "topic"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	later := r.newCase(communeA, "telegram", "Đỗ Văn Sau")
	ev = s.next("the next case in scope")
	if !strings.Contains(ev.parts["live-queue"].HTML, caseLink(later)) || strings.Contains(ev.parts["live-queue"].HTML, "ngoài") {
		t.Errorf("the update after a change out of scope:\n%s", ev.parts["live-queue"].HTML)
	}
}

// The case page shows the person's new messages and a colleague's actions
// live; a case out of scope has no stream; the stream ends when the
// session does (signed out, revoked).
func TestLiveCase(t *testing.T) {
	r := newRig(t)
	a, aID := r.member(store.RoleCounsellor, "Chị Hoa", "hoa", communeA)
	colleague, _ := r.member(store.RoleCounsellor, "Anh Nam", "nam", communeA)
	id := r.newCase(communeA, "telegram", "Phan Văn Trong")
	other := r.newCase(communeB, "telegram", "Lý Văn Ngoài")

	req, _ := http.NewRequest(http.MethodGet, r.srv.URL+"/live?case="+strconv.FormatInt(other, 10), nil)
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || r.audited("denied_view", aID) != 1 {
		t.Errorf("stream of a case out of scope: %d, denied audited %d", resp.StatusCode, r.audited("denied_view", aID))
	}
	resp, err = r.browser().c.Get(r.srv.URL + "/live")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("stream without a session: %d", resp.StatusCode)
	}

	s := a.live("/live?case=" + strconv.FormatInt(id, 10))
	first := s.next("the first update")
	state := first.parts["live-actions"].State
	if first.event != "update" || !strings.Contains(first.parts["live-actions"].HTML, `action="/case/`) || state == "" {
		t.Fatalf("first update: %+v", first)
	}
	ctx := context.Background()
	if err := r.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: id, Actor: "returnee", Kind: "message", Body: "Em cần việc <gần nhà>", RelayTo: "topic"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ev := s.until("the person's message", func(ev sse) bool {
		return strings.Contains(ev.parts["live-history"].HTML, "Em cần việc &lt;gần nhà&gt;")
	})
	if ev.parts["live-actions"].State != state {
		t.Errorf("the actions changed state without a reason: %q → %q", state, ev.parts["live-actions"].State)
	}
	path := "/case/" + strconv.FormatInt(id, 10)
	if st, _, _ := colleague.post(path+"/take", url.Values{"csrf": {colleague.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("colleague's take: %d", st)
	}
	ev = s.until("the colleague's take", func(ev sse) bool { return strings.Contains(ev.parts["live-card"].HTML, "Anh Nam") })
	if ev.parts["live-actions"].State != state {
		t.Errorf("the actions changed state (a text being typed would go) when a colleague took the case: %q → %q", state, ev.parts["live-actions"].State)
	}
	if st, _, _ := colleague.post(path+"/note", url.Values{"csrf": {colleague.csrf}, "text": {"Gọi lại chiều nay"}}); st != http.StatusSeeOther {
		t.Fatalf("colleague's note: %d", st)
	}
	s.until("the colleague's note", func(ev sse) bool { return strings.Contains(ev.parts["live-history"].HTML, "Gọi lại chiều nay") })

	// A message whose transaction took its id first but commits after a
	// later one is still shown (ids are not in commit order).
	held, release, committed := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		committed <- r.db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: id, Actor: "returnee", Kind: "message", Body: "tin đến chậm", RelayTo: "topic"})
			close(held)
			<-release
			return err
		})
	}()
	<-held
	if err := r.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: id, Actor: "returnee", Kind: "message", Body: "tin đến trước", RelayTo: "topic"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.until("the later id", func(ev sse) bool { return strings.Contains(ev.parts["live-history"].HTML, "tin đến trước") })
	// Two more rounds of the poller while the gap stays open.
	for _, text := range []string{"tin thứ ba", "tin thứ tư"} {
		if err := r.db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: id, Actor: "returnee", Kind: "message", Body: text, RelayTo: "topic"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		s.until(text, func(ev sse) bool { return strings.Contains(ev.parts["live-history"].HTML, text) })
	}
	close(release)
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	s.until("the earlier id committed later", func(ev sse) bool { return strings.Contains(ev.parts["live-history"].HTML, "tin đến chậm") })

	// The colleague closes: the forms change to reopening.
	if st, _, _ := colleague.post(path+"/close", url.Values{"csrf": {colleague.csrf}, "outcome": {"job_found"}}); st != http.StatusSeeOther {
		t.Fatalf("colleague's close: %d", st)
	}
	ev = s.until("the colleague's close", func(ev sse) bool { return ev.parts["live-actions"].State != state })
	if !strings.Contains(ev.parts["live-actions"].HTML, "/reopen") {
		t.Errorf("the actions of a closed case:\n%s", ev.parts["live-actions"].HTML)
	}

	// Signed out everywhere: the stream says so and ends.
	if st, _, _ := a.post("/signout-everywhere", url.Values{"csrf": {a.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: %d", st)
	}
	s.until("the end after signing out", func(ev sse) bool { return ev.event == "end" })

	// Revoked: the colleague's stream ends too.
	s2 := colleague.live("/live")
	s2.next("the colleague's first update")
	var colleagueID int64
	if err := r.db.X.Get(&colleagueID, `SELECT staff_id FROM desk_accounts WHERE login = 'nam'`); err != nil {
		t.Fatal(err)
	}
	if err := r.db.RevokeStaff(ctx, colleagueID); err != nil {
		t.Fatal(err)
	}
	s2.until("the end after revocation", func(ev sse) bool { return ev.event == "end" })
}

// A closed case is reopened with a reason, in scope, audited, and marked
// to be posted in the topic like every desk action.
func TestReopen(t *testing.T) {
	r := newRig(t)
	a, aID := r.member(store.RoleCounsellor, "Chị Hoa", "hoa", communeA)
	b, bID := r.member(store.RoleCounsellor, "Anh Ba", "anh.ba", communeB)
	id := r.newCase(communeA, "telegram", "Phan Văn Trong")
	path := "/case/" + strconv.FormatInt(id, 10)
	if st, _, _ := a.post(path+"/reopen", url.Values{"csrf": {a.csrf}, "text": {"còn việc"}}); st != http.StatusConflict {
		t.Errorf("reopening an open case: %d", st)
	}
	for _, step := range []url.Values{{"text": {"Xin chào"}}, {"outcome": {"job_found"}}} {
		step.Set("csrf", a.csrf)
		action := "/answer"
		if step.Has("outcome") {
			action = "/close"
		}
		if st, _, _ := a.post(path+action, step); st != http.StatusSeeOther {
			t.Fatalf("%s: %d", action, st)
		}
	}
	cases := []struct {
		name   string
		b      *browser
		reason string
		status int
	}{
		{"out of scope", b, "mở lại", http.StatusNotFound},
		{"no reason", a, "  ", http.StatusConflict},
		{"overlong reason", a, strings.Repeat("a", 3501), http.StatusConflict},
		{"broken UTF-8", a, "l\xffý do", http.StatusConflict},
		{"reopened", a, "Anh Trong gọi lại: chỗ làm không nhận", http.StatusSeeOther},
		{"again", a, "lần nữa", http.StatusConflict},
	}
	for _, c := range cases {
		st, _, _ := c.b.post(path+"/reopen", url.Values{"csrf": {c.b.csrf}, "text": {c.reason}})
		if st != c.status {
			t.Errorf("%s: %d, want %d", c.name, st, c.status)
		}
	}
	var status string
	var outcome *string
	if err := r.db.X.QueryRow(`SELECT status, outcome FROM cases WHERE id = $1`, id).Scan(&status, &outcome); err != nil || status != "assigned" || outcome != nil {
		t.Errorf("after reopening: %s %v %v", status, outcome, err)
	}
	if r.audited("reopen", aID) != 1 || r.audited("denied_reopen", bID) != 1 {
		t.Errorf("reopen audited %d, denied %d", r.audited("reopen", aID), r.audited("denied_reopen", bID))
	}
	_, body, _ := a.get(path)
	if !strings.Contains(body, "đã mở lại ca: Anh Trong gọi lại: chỗ làm không nhận") || !strings.Contains(body, `action="/case/`+strconv.FormatInt(id, 10)+`/close"`) {
		t.Errorf("case page after reopening:\n%s", body)
	}
	var kinds []string
	if err := r.db.X.Select(&kinds, `SELECT e.kind FROM desk_mirror m JOIN case_events e ON e.id = m.event_id WHERE m.case_id = $1 ORDER BY e.id`, id); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kinds, " "); got != "assigned message closed reopened" {
		t.Errorf("desk events marked for the topic: %q", got)
	}
}

// An open stream follows a language the member picks elsewhere (another
// browser, or the store): its parts come again in it without a case
// change, and the next case event is worded in it, both ways.
func TestLiveFollowsLanguage(t *testing.T) {
	r := newRig(t)
	a, aID := r.member(store.RoleCounsellor, "Chị Mai", "mai", communeA)
	other := r.signedInAgain("mai")
	id := r.newCase(communeA, "web", "Nguyễn Văn An")
	ctx := context.Background()
	s := a.live("/live?case=" + strconv.FormatInt(id, 10))
	if first := s.next("the first update"); !strings.Contains(first.parts["live-card"].HTML, "Trò chuyện trên web") {
		t.Fatalf("first update not in Vietnamese: %+v", first)
	}
	inEnglish := func(ev sse) bool { return strings.Contains(ev.parts["live-card"].HTML, "Web chat") }

	// Picked on another browser: the parts again, in English, unasked.
	if st, _, _ := other.get("/lang/en?to=/queue"); st != http.StatusSeeOther {
		t.Fatalf("picking English: %d", st)
	}
	s.until("the parts in English", inEnglish)
	path := "/case/" + strconv.FormatInt(id, 10)
	if st, _, _ := a.post(path+"/take", url.Values{"csrf": {a.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("take: %d", st)
	}
	ev := s.until("the take", func(ev sse) bool { return strings.Contains(ev.parts["live-card"].HTML, "Chị Mai") })
	if h := ev.parts["live-history"].HTML; !inEnglish(ev) || !strings.Contains(h, "took the case") || strings.Contains(h, "đã nhận ca") {
		t.Errorf("the take not worded in English: %+v", ev)
	}

	// Changed in the store (as any other process would): the next event's
	// update is in Vietnamese again.
	if err := r.db.SetDeskLanguage(ctx, aID, "vi"); err != nil {
		t.Fatal(err)
	}
	if err := r.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: id, Actor: "returnee", Kind: "message", Body: "Em cảm ơn chị", RelayTo: "topic"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ev = s.until("the message", func(ev sse) bool { return strings.Contains(ev.parts["live-history"].HTML, "Em cảm ơn chị") })
	if h := ev.parts["live-history"].HTML; inEnglish(ev) || !strings.Contains(ev.parts["live-card"].HTML, "Trò chuyện trên web") ||
		!strings.Contains(h, "đã nhận ca") || strings.Contains(h, "took the case") {
		t.Errorf("the message's update not in Vietnamese: %+v", ev)
	}
}
