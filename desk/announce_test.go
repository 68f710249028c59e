package desk_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/desk"
	"reentrybot/i18n"
	"reentrybot/store"
)

// announceRig is the desk rig served with the announcement options: an
// approval threshold of over, and the broadcasts the desk announced.
func announceRig(t *testing.T, over int) (*rig, *[]int64) {
	t.Helper()
	r := newRig(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cat, err := i18n.Load(log)
	if err != nil {
		t.Fatal(err)
	}
	var announced []int64
	s, err := desk.New(r.db, cat, desk.Options{
		HashInvite: bot.HashInviteCode, ApprovalOver: over, Loc: vnLoc(t),
		Announced: func(id int64) {
			r.mu.Lock()
			announced = append(announced, id)
			r.mu.Unlock()
		},
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	r.srv.Close()
	r.srv = httptest.NewServer(s.Handler())
	t.Cleanup(r.srv.Close)
	return r, &announced
}

func vnLoc(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// people adds n people of commune on channel ch who agreed to
// announcements.
func (r *rig) people(commune, ch string, n int) {
	r.t.Helper()
	for i := range n {
		ref := commune + ch + strconv.Itoa(i)
		var id int64
		if err := r.db.X.Get(&id, `INSERT INTO people (channel, external_id, chat_ref, language, commune_code) VALUES ($1, $2, $2, 'vi', $3) RETURNING id`,
			ch, ref, commune); err != nil {
			r.t.Fatal(err)
		}
		r.db.X.MustExec(`INSERT INTO consents (person_id, purpose, granted, text_version, decided_at) VALUES ($1, 'announcements', true, 'v', $2)`, id, r.clk.Now())
	}
}

// broadcasts lists the rows as status by id.
func (r *rig) broadcasts() map[int64]string {
	r.t.Helper()
	var rows []struct {
		ID     int64  `db:"id"`
		Status string `db:"status"`
	}
	if err := r.db.X.Select(&rows, `SELECT id, status FROM broadcasts`); err != nil {
		r.t.Fatal(err)
	}
	out := map[int64]string{}
	for _, x := range rows {
		out[x.ID] = x.Status
	}
	return out
}

func compose(csrf, text string, communes ...string) url.Values {
	return url.Values{"csrf": {csrf}, "commune": communes, "interest": {"all"}, "when": {"now"}, "text": {text}}
}

// An officer composes for their commune: the preview shows the text as a
// recipient reads it (escaped) and counts below 5 as "< 5"; Send
// schedules it on the same broadcasts row the bot delivers. A forged
// form naming another commune, or the province, is refused and audited;
// a POST without the session's token changes nothing.
func TestAnnounceComposer(t *testing.T) {
	r, announced := announceRig(t, 500)
	r.people(communeA, "telegram", 3)
	r.people(communeA, "web", 1)
	r.people(communeB, "telegram", 6)
	off, offID := r.member(store.RoleOfficer, "UBND xã A", "xa.a", communeA)

	st, body, _ := off.get("/announce/new")
	if st != http.StatusOK || !strings.Contains(body, `value="`+communeA+`"`) || strings.Contains(body, `value="`+communeB+`"`) || strings.Contains(body, `name="province"`) {
		t.Fatalf("officer's form must offer commune A only: %d\n%s", st, body)
	}
	if !strings.Contains(body, `href="/announce"`) {
		t.Error("no link to the announcements in the navigation")
	}

	// CSRF-less POSTs: refused, nothing written.
	for _, path := range []string{"/announce/preview", "/announce/confirm", "/announce/discard", "/announce/1/cancel"} {
		form := compose("", "Hội chợ việc làm", communeA)
		form.Set("id", "1")
		if st, _, _ := off.post(path, form); st != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d, want 403", path, st)
		}
	}
	if got := r.broadcasts(); len(got) != 0 {
		t.Fatalf("CSRF-less POSTs wrote broadcasts %v", got)
	}

	// Forged forms: commune B, several with B among them, the province.
	forged := []url.Values{compose(off.csrf, "x", communeB), compose(off.csrf, "x", communeA, communeB)}
	province := compose(off.csrf, "x", communeA)
	province.Set("province", "1")
	forged = append(forged, province)
	for i, f := range forged {
		if st, _, _ := off.post("/announce/preview", f); st != http.StatusForbidden {
			t.Errorf("forged form %d: %d, want 403", i, st)
		}
	}
	if got := r.broadcasts(); len(got) != 0 {
		t.Fatalf("forged forms wrote broadcasts %v", got)
	}
	if n := r.audited("denied_announce_scope", offID); n != len(forged) {
		t.Errorf("%d scope refusals audited, want %d", n, len(forged))
	}

	// Mistakes come back to the form, kept.
	long := strings.Repeat("ư", 3501)
	if st, body, _ := off.post("/announce/preview", compose(off.csrf, long, communeA)); st != http.StatusUnprocessableEntity || !strings.Contains(body, "3501") {
		t.Errorf("an overlong text: %d\n%.300s", st, body)
	}
	bad := compose(off.csrf, "Hội chợ", communeA)
	bad.Set("when", "at")
	bad.Set("at", "31/02 08:00")
	if st, body, _ := off.post("/announce/preview", bad); st != http.StatusUnprocessableEntity || !strings.Contains(body, "Không đọc được thời điểm") || !strings.Contains(body, "31/02 08:00") {
		t.Errorf("an impossible date: %d\n%.300s", st, body)
	}

	// Times are Vietnam's (the rig's clock is 3 December 2026, 09:00 there).
	for _, tt := range []struct{ when, at, shown, stored string }{
		{"at", "24/12 08:00", "08:00 ngày 24/12/2026", "2026-12-24T01:00:00Z"},
		{"tomorrow", "", "08:00 ngày 04/12/2026", "2026-12-04T01:00:00Z"},
	} {
		f := compose(off.csrf, "Hội chợ", communeA)
		f.Set("when", tt.when)
		f.Set("at", tt.at)
		st, body, _ := off.post("/announce/preview", f)
		var at time.Time
		if err := r.db.X.Get(&at, `SELECT scheduled_at FROM broadcasts WHERE status = 'draft'`); err != nil {
			t.Fatal(err)
		}
		if st != http.StatusOK || !strings.Contains(body, tt.shown) || at.UTC().Format(time.RFC3339) != tt.stored {
			t.Errorf("when %s %q: %d, stored %v, want %s shown as %s", tt.when, tt.at, st, at, tt.stored, tt.shown)
		}
	}
	past := compose(off.csrf, "Hội chợ", communeA)
	past.Set("when", "at")
	past.Set("at", "03/12/2026 08:00")
	if st, body, _ := off.post("/announce/preview", past); st != http.StatusUnprocessableEntity || !strings.Contains(body, "đã qua") {
		t.Errorf("a time past: %d", st)
	}

	text := "Hội chợ việc làm <b>thứ Năm</b> & tư vấn học nghề"
	st, body, _ = off.post("/announce/preview", compose(off.csrf, text, communeA))
	if st != http.StatusOK {
		t.Fatalf("preview: %d\n%s", st, body)
	}
	for _, want := range []string{"&lt;b&gt;thứ Năm&lt;/b&gt; &amp; tư vấn", "&lt; 5 người", "Telegram: &lt; 5", "Web chat: &lt; 5", "<b>UBND xã A</b>"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "cần quản trị viên duyệt") {
		t.Error("4 recipients under a threshold of 500 asked for approval")
	}
	var id int64
	var step string
	if err := r.db.X.QueryRow(`SELECT id, step FROM broadcasts WHERE status = 'draft'`).Scan(&id, &step); err != nil || step != "confirm" {
		t.Fatalf("the draft: %d %q %v", id, step, err)
	}

	if st, _, loc := off.post("/announce/confirm", url.Values{"csrf": {off.csrf}, "id": {strconv.FormatInt(id, 10)}}); st != http.StatusSeeOther || loc != "/announce?m=scheduled" {
		t.Fatalf("confirm: %d %s", st, loc)
	}
	var bc struct {
		Status   string `db:"status"`
		Estimate int    `db:"estimate"`
		Communes string `db:"communes"`
		Body     string `db:"body"`
		Chat     int64  `db:"author_chat_id"`
	}
	if err := r.db.X.Get(&bc, `SELECT status, estimate, communes::text AS communes, body, author_chat_id FROM broadcasts WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if bc.Status != "scheduled" || bc.Estimate != 4 || string(bc.Communes) != "{"+communeA+"}" || bc.Body != text || bc.Chat != 0 {
		t.Fatalf("confirmed broadcast %+v", bc)
	}
	if r.audited("announce_scheduled", offID) != 1 || len(*announced) != 1 || (*announced)[0] != id {
		t.Errorf("confirm: audited %d, announced %v", r.audited("announce_scheduled", offID), *announced)
	}
	// Sending twice is refused: the draft is gone.
	if st, _, _ := off.post("/announce/confirm", url.Values{"csrf": {off.csrf}, "id": {strconv.FormatInt(id, 10)}}); st != http.StatusConflict {
		t.Errorf("second confirm: %d", st)
	}

	st, body, _ = off.get("/announce")
	if st != http.StatusOK || !strings.Contains(body, "#"+strconv.FormatInt(id, 10)) || !strings.Contains(body, "Đã hẹn giờ") ||
		!strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, "/announce/"+strconv.FormatInt(id, 10)+"/cancel") {
		t.Fatalf("list: %d\n%s", st, body)
	}

	// Another officer of the same commune neither sees nor cancels it.
	other, otherID := r.member(store.RoleOfficer, "Cán bộ khác", "xa.a2", communeA)
	if _, body, _ := other.get("/announce"); strings.Contains(body, "#"+strconv.FormatInt(id, 10)) {
		t.Error("another officer sees the announcement")
	}
	if st, _, _ := other.post("/announce/"+strconv.FormatInt(id, 10)+"/cancel", url.Values{"csrf": {other.csrf}}); st != http.StatusForbidden {
		t.Errorf("another officer's cancel: %d", st)
	}
	if r.audited("denied_announce_cancel", otherID) != 1 || r.broadcasts()[id] != "scheduled" {
		t.Error("another officer's cancel was not refused and audited")
	}
	if st, _, loc := off.post("/announce/"+strconv.FormatInt(id, 10)+"/cancel", url.Values{"csrf": {off.csrf}}); st != http.StatusSeeOther || loc != "/announce?m=cancelled" {
		t.Fatalf("cancel: %d %s", st, loc)
	}
	if r.broadcasts()[id] != "cancelled" || r.audited("announce_cancel", offID) != 1 {
		t.Error("the author's cancel did not cancel")
	}

	// A counsellor has no composer.
	c, _ := r.member(store.RoleCounsellor, "Tư vấn", "tu.van")
	if st, _, _ := c.get("/announce/new"); st != http.StatusForbidden {
		t.Errorf("counsellor's composer: %d", st)
	}
}

var regexpID = regexp.MustCompile(`name="id" value="(\d+)"`)

// Above the threshold an officer's announcement waits for an admin, who
// sees exact counts and approves or refuses it from the web; an officer
// cannot decide.
func TestAnnounceApproval(t *testing.T) {
	r, announced := announceRig(t, 3)
	r.people(communeA, "telegram", 6)
	off, offID := r.member(store.RoleOfficer, "UBND xã A", "xa.a", communeA)
	admin, adminID := r.member(store.RoleAdmin, "Quản trị", "quan.tri")

	confirm := func(b *browser, text string, communes ...string) int64 {
		t.Helper()
		st, body, _ := b.post("/announce/preview", compose(b.csrf, text, communes...))
		if st != http.StatusOK {
			t.Fatalf("preview: %d\n%s", st, body)
		}
		m := regexpID.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no draft id in the preview:\n%s", body)
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		b.post("/announce/confirm", url.Values{"csrf": {b.csrf}, "id": {m[1]}})
		return id
	}
	st, body, _ := off.post("/announce/preview", compose(off.csrf, "Tập huấn", communeA))
	if st != http.StatusOK || !strings.Contains(body, "6 người") || !strings.Contains(body, "cần quản trị viên duyệt") {
		t.Fatalf("officer's preview above the threshold: %d\n%s", st, body)
	}
	first := confirm(off, "Tập huấn", communeA)
	second := confirm(off, "Hội chợ", communeA)
	if got := r.broadcasts(); got[first] != "pending_approval" || got[second] != "pending_approval" {
		t.Fatalf("broadcasts %v, want both pending", got)
	}
	if r.audited("announce_pending_approval", offID) != 2 || len(*announced) != 2 {
		t.Errorf("pending: audited %d, announced %v", r.audited("announce_pending_approval", offID), *announced)
	}

	approve := "/announce/" + strconv.FormatInt(first, 10) + "/approve"
	if st, _, _ := off.post(approve, url.Values{"csrf": {off.csrf}}); st != http.StatusForbidden || r.audited("denied_announce_approval", offID) != 1 {
		t.Errorf("an officer's approval: %d", st)
	}
	if _, body, _ := admin.get("/announce"); !strings.Contains(body, approve) || !strings.Contains(body, "Chờ quản trị duyệt") {
		t.Fatalf("admin's list lacks the approval:\n%s", body)
	}
	if st, _, loc := admin.post(approve, url.Values{"csrf": {admin.csrf}}); st != http.StatusSeeOther || loc != "/announce?m=approved" {
		t.Fatalf("approve: %d %s", st, loc)
	}
	if st, _, _ := admin.post(approve, url.Values{"csrf": {admin.csrf}}); st != http.StatusConflict {
		t.Errorf("approving twice: %d", st)
	}
	if st, _, _ := admin.post("/announce/"+strconv.FormatInt(second, 10)+"/refuse", url.Values{"csrf": {admin.csrf}}); st != http.StatusSeeOther {
		t.Fatalf("refuse: %d", st)
	}
	var approvedBy int64
	if err := r.db.X.Get(&approvedBy, `SELECT approved_by FROM broadcasts WHERE id = $1`, first); err != nil || approvedBy != adminID {
		t.Errorf("approved_by %d (%v), want %d", approvedBy, err, adminID)
	}
	if got := r.broadcasts(); got[first] != "scheduled" || got[second] != "cancelled" {
		t.Fatalf("after the decisions %v", got)
	}
	if r.audited("announce_approve", adminID) != 1 || r.audited("announce_reject", adminID) != 1 {
		t.Error("decisions not audited")
	}
	if _, body, _ := off.get("/announce"); !strings.Contains(body, "Quản trị không duyệt") {
		t.Errorf("the officer does not see the refusal:\n%s", body)
	}

	// An admin composes anywhere, sees exact counts, needs no approval.
	st, body, _ = admin.post("/announce/preview", compose(admin.csrf, "Toàn xã", communeA))
	if st != http.StatusOK || !strings.Contains(body, "6 người") || strings.Contains(body, "cần quản trị viên duyệt") {
		t.Fatalf("admin's preview: %d\n%s", st, body)
	}
}
