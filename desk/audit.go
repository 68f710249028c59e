package desk

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"reentrybot/store"
)

// The audit log by case, staff member or day (admins, as /audit), newest
// first, a page at a time; each view is itself audited (audit_view, as
// Telegram does).

// auditPerPage is how many lines a page shows.
const auditPerPage = 50

// auditLine is one line as shown.
type auditLine struct {
	store.AuditEntry
	When, Who string
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	q := r.URL.Query()
	form := map[string]string{"Case": strings.TrimSpace(q.Get("case")), "Staff": strings.TrimSpace(q.Get("staff")), "Day": strings.TrimSpace(q.Get("day"))}
	data := s.pageData(r, "desk_audit_title", "/audit") // lang.go
	data["Sess"], data["Form"] = sess, form
	var f store.AuditFilter
	var problems []string
	problem := func(key string) { problems = append(problems, s.tr(r, key, nil)) }
	id := func(v, notNumber string) int64 {
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(strings.TrimPrefix(v, "#"), 10, 64)
		if err != nil || n <= 0 {
			problem(notNumber)
		}
		return n
	}
	f.CaseID = id(form["Case"], "desk_audit_case_number")
	f.StaffID = id(form["Staff"], "desk_audit_staff_number")
	if d := form["Day"]; d != "" {
		t, err := time.ParseInLocation("2006-01-02", d, s.opt.Loc)
		if err != nil {
			problem("desk_audit_bad_day")
		}
		f.Day, f.Loc = t, s.opt.Loc
	}
	page := 1
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			problem("desk_audit_bad_page")
		}
		page = n
	}
	if len(problems) > 0 {
		data["Problems"] = problems
		s.render(w, http.StatusBadRequest, "audit", data)
		return
	}
	res, err := s.db.AuditLogPage(ctx, f, (page-1)*auditPerPage, auditPerPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(ctx, sess.ID, "audit_view", f.CaseID, fmt.Sprintf("desk case=%s staff=%s day=%s page=%d", form["Case"], form["Staff"], form["Day"], page))
	lines := make([]auditLine, len(res.Entries))
	for i, a := range res.Entries {
		var who string
		switch {
		case a.StaffID.Valid:
			who = fmt.Sprintf("#%d %s", a.StaffID.Int64, a.StaffName.String)
		case a.TelegramUserID.Valid:
			who = s.tr(r, "desk_audit_telegram", map[string]any{"ID": strconv.FormatInt(a.TelegramUserID.Int64, 10)})
		default:
			who = s.tr(r, "desk_audit_system", nil)
		}
		lines[i] = auditLine{AuditEntry: a, When: a.At.In(s.opt.Loc).Format("02/01/2006 15:04:05"), Who: who}
	}
	pages := (res.Total + auditPerPage - 1) / auditPerPage
	link := func(p int) string {
		v := url.Values{}
		for k, name := range map[string]string{"Case": "case", "Staff": "staff", "Day": "day"} {
			if form[k] != "" {
				v.Set(name, form[k])
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "/audit?" + v.Encode()
	}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if page < pages {
		data["Next"] = link(page + 1)
	}
	data["Lines"], data["Total"], data["Page"], data["Pages"] = lines, res.Total, page, max(pages, 1)
	s.render(w, http.StatusOK, "audit", data)
}
