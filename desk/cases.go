package desk

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"reentrybot/i18n"
	"reentrybot/store"
)

// maxAnswer bounds an answer's length: a Telegram message holds 4096
// characters and the relay adds the counsellor's name.
const maxAnswer = 3500

// channelName is how the pages name a person's channel in lang: the
// messengers by their own names, the web chat in words.
func (s *Server) channelName(lang, c string) string {
	switch c {
	case "telegram":
		return "Telegram"
	case "zalo":
		return "Zalo"
	case "web":
		return s.cat.T(lang, "desk_channel_web", nil)
	}
	return c
}

// queueRow is one line of the queue.
type queueRow struct {
	store.Case
	Age     string
	Channel string
}

func (s *Server) queue(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	data := s.pageData(r, "desk_queue_title", "/queue") // lang.go
	data["Sess"] = sess
	if !sess.HandlesCases() {
		data["NoCases"] = true
		s.render(w, http.StatusForbidden, "queue", data)
		return
	}
	rows, err := s.queueRows(r.Context(), sess, data["Lang"].(string))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), sess.ID, "queue", 0, "desk "+strconv.Itoa(len(rows)))
	data["Rows"] = rows
	s.render(w, http.StatusOK, "queue", data)
}

// queueRows are the open cases in the member's scope, oldest first, worded
// in lang.
func (s *Server) queueRows(ctx context.Context, sess store.DeskSession, lang string) ([]queueRow, error) {
	cases, err := s.db.OpenCases(ctx, sess.Staff, false)
	if err != nil {
		return nil, err
	}
	now := s.db.Now()
	rows := make([]queueRow, len(cases))
	for i, c := range cases {
		rows[i] = queueRow{Case: c, Age: s.age(lang, now.Sub(c.OpenedAt)), Channel: s.channelName(lang, c.PersonChannel)}
	}
	return rows, nil
}

// age says how long ago, coarsely (as the Telegram queue does), in lang.
func (s *Server) age(lang string, d time.Duration) string {
	key, n := "desk_age_days", int(d.Hours()/24)
	switch {
	case d < time.Hour:
		key, n = "desk_age_minutes", int(d.Minutes())
	case d < 48*time.Hour:
		key, n = "desk_age_hours", int(d.Hours())
	}
	return s.cat.T(lang, key, map[string]any{"Count": n})
}

// errOutOfScope is a case the member may not see: answered as not found,
// so a URL tells nobody which case numbers exist.
var errOutOfScope = errors.New("case out of scope")

// inScope checks the staff member may work on c (refusals are audited by
// denied, after any transaction holding the case's row: the audit line
// refers to the case and would wait for that lock).
func inScope(sess store.DeskSession, c store.Case) error {
	if sess.HandlesCases() && sess.InScope(c.CommuneCode.String) {
		return nil
	}
	return errOutOfScope
}

// denied audits a refused case access with the action name the Telegram
// side uses (denied_<action>).
func (s *Server) denied(ctx context.Context, sess store.DeskSession, id int64, action string) {
	s.log.Warn("desk case out of scope", "staff", sess.ID, "case", id, "action", action)
	s.audit(ctx, sess.ID, "denied_"+action, id, "desk, out of scope")
}

// caseID reads the path's case number; 0 when it is not one.
func caseID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.say(w, r, http.StatusNotFound, "desk_case_not_found", nil) // lang.go
}

// eventLine is one line of a case's history.
type eventLine struct {
	store.CaseEvent
	Who  string
	What string
}

// casePage shows the short card and the history; profile is the full
// profile when the member pressed "show" (already audited).
func (s *Server) casePage(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	s.showCase(w, r, sess, http.StatusOK, nil, "")
}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request, sess store.DeskSession, status int, profile *store.CaseProfile, notice string) {
	ctx := r.Context()
	id := caseID(r)
	c, err := s.db.CaseByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || id == 0 {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if inScope(sess, c) != nil {
		s.denied(ctx, sess, c.ID, "view")
		s.notFound(w, r)
		return
	}
	if profile == nil {
		s.audit(ctx, sess.ID, "view", c.ID, "desk")
	}
	l := s.lang(r)
	data, err := s.caseData(ctx, sess, c, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if key, ok := notices[r.URL.Query().Get("m")]; ok && notice == "" {
		notice = s.cat.T(l, key, nil)
	}
	data["Title"], data["Profile"], data["Notice"] = s.cat.T(l, "desk_case_title", map[string]any{"ID": c.ID}), profile, notice
	data["Lang"], data["Here"] = l, fmt.Sprintf("/case/%d", c.ID)
	s.render(w, status, "case", data)
}

// caseData is what the case page and its live parts show of c: the short
// card and the history, never the full profile; worded in lang.
func (s *Server) caseData(ctx context.Context, sess store.DeskSession, c store.Case, lang string) (map[string]any, error) {
	var first string
	var reachable bool
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.ProfileOf(ctx, c.PersonID)
		first, reachable = firstName(p.FullName.String), p.Reachable
		return err
	})
	if err != nil {
		return nil, err
	}
	evs, err := s.db.CaseEvents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	lines := make([]eventLine, 0, len(evs))
	for _, e := range evs {
		l := eventLine{CaseEvent: e}
		switch e.Actor {
		case "returnee":
			l.Who = first
		case "staff":
			if _, ok := names[e.StaffID.Int64]; !ok {
				names[e.StaffID.Int64], _ = s.db.StaffName(ctx, e.StaffID.Int64)
			}
			l.Who = names[e.StaffID.Int64]
		default:
			l.Who = s.cat.T(lang, "desk_system", nil)
		}
		l.What = s.eventText(lang, e)
		lines = append(lines, l)
	}
	mine := c.AssigneeStaffID.Int64 == sess.ID
	return map[string]any{
		"Sess": sess, "Case": c, "First": first, "Reachable": reachable,
		"Channel": s.channelName(lang, c.PersonChannel), "Events": lines,
		"Mine": mine, "Outcomes": store.Outcomes, "MaxAnswer": maxAnswer,
		// State names the action forms shown (open or closed, the take
		// button or not): the live update replaces them only when it
		// changes, so a text being typed is kept.
		"State": fmt.Sprintf("open=%t,mine=%t", c.Open(), mine),
	}, nil
}

// notices are the catalog keys of the messages a redirect after an action
// may ask for.
var notices = map[string]string{
	"taken":    "desk_notice_taken",
	"answered": "desk_notice_answered",
	"closed":   "desk_notice_closed",
	"noted":    "desk_notice_noted",
	"reopened": "desk_notice_reopened",
}

// eventText says what an event was, for the history, in lang.
func (s *Server) eventText(lang string, e store.CaseEvent) string {
	switch e.Kind {
	case "message", "note":
		t := e.Body.String
		if e.Media.Valid {
			t = "[" + e.Media.String + "] " + t
		}
		if e.Kind == "note" {
			t = s.cat.T(lang, "desk_ev_note", map[string]any{"Text": t})
		}
		return t
	case "assigned":
		return s.cat.T(lang, "desk_ev_assigned", nil)
	case "closed":
		return s.cat.T(lang, "desk_ev_closed", map[string]any{"Outcome": s.cat.T(lang, "outcome_"+e.Body.String, nil)})
	case "reopened":
		if e.Actor == "staff" && e.Body.Valid {
			return s.cat.T(lang, "desk_ev_reopened_why", map[string]any{"Reason": e.Body.String})
		}
		return s.cat.T(lang, "desk_ev_reopened", nil)
	case "rated":
		return s.cat.T(lang, "desk_ev_rated", map[string]any{"Stars": e.Body.String})
	}
	if e.Actor == "system" && e.Body.Valid && s.cat.Has(i18n.Default, e.Body.String) {
		// T falls back to Vietnamese for a message not in lang.
		return stripTags(s.cat.T(lang, e.Body.String, map[string]any{"ID": e.CaseID}))
	}
	return e.Kind + " " + e.Body.String
}

// stripTags drops the Telegram HTML of a catalog text.
func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// firstName is what the short card calls the person: the given name, last
// in a Vietnamese full name.
func firstName(full string) string {
	f := strings.Fields(full)
	if len(f) == 0 {
		return "—"
	}
	return f[len(f)-1]
}

// profile shows the full profile, audited as in the topic's button.
func (s *Server) profile(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	var p store.CaseProfile
	ok := s.withCase(w, r, sess, "profile", func(tx *store.Tx, c store.Case) (err error) {
		if err := tx.Audit(r.Context(), sess.ID, 0, "view_profile", c.ID, "desk"); err != nil {
			return err
		}
		p, err = tx.ProfileOf(r.Context(), c.PersonID)
		return err
	})
	if ok {
		s.showCase(w, r, sess, http.StatusOK, &p, "")
	}
}

// withCase runs fn in a transaction on the path's case, locked, when it is
// in the member's scope; otherwise (or on an error) it answers and returns
// false.
func (s *Server) withCase(w http.ResponseWriter, r *http.Request, sess store.DeskSession, action string, fn func(tx *store.Tx, c store.Case) error) bool {
	ctx := r.Context()
	id := caseID(r)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		if err := inScope(sess, c); err != nil {
			return err
		}
		return fn(tx, c)
	})
	if errors.Is(err, errOutOfScope) {
		s.denied(ctx, sess, id, action)
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, errOutOfScope):
		s.notFound(w, r)
	case err != nil:
		s.fail(w, r, err)
	}
	return err == nil
}

// caseAction runs fn on the locked case in scope; fn returns a notice to
// show on the case page instead of redirecting (the action did not
// happen), or "" when it did. done names the notice after the redirect.
func (s *Server) caseAction(w http.ResponseWriter, r *http.Request, sess store.DeskSession, action, done string, fn func(tx *store.Tx, c store.Case) (string, error)) {
	refusal := ""
	ok := s.withCase(w, r, sess, action, func(tx *store.Tx, c store.Case) (err error) {
		refusal, err = fn(tx, c)
		return err
	})
	if !ok {
		return
	}
	if refusal != "" {
		s.showCase(w, r, sess, http.StatusConflict, nil, refusal)
		return
	}
	id := caseID(r)
	if s.opt.CaseChanged != nil {
		s.opt.CaseChanged(id)
	}
	http.Redirect(w, r, fmt.Sprintf("/case/%d?m=%s", id, done), http.StatusSeeOther)
}

// take gives the case to the member, as the topic's take button does: the
// case row is locked, so of two takers one wins and the other is told.
func (s *Server) take(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	l := s.lang(r)
	s.caseAction(w, r, sess, "take", "taken", func(tx *store.Tx, c store.Case) (string, error) {
		if refusal := s.takeRefusal(l, sess, c); refusal != "" {
			return refusal, nil
		}
		if c.AssigneeStaffID.Int64 == sess.ID && c.Status != store.CaseNew {
			return s.cat.T(l, "desk_case_yours", nil), nil
		}
		return "", s.assign(r.Context(), tx, sess, c)
	})
}

// takeRefusal is why the member cannot take or answer c, in lang: closed,
// or someone else's.
func (s *Server) takeRefusal(lang string, sess store.DeskSession, c store.Case) string {
	if !c.Open() {
		return s.cat.T(lang, "desk_case_closed", nil)
	}
	if c.AssigneeStaffID.Valid && c.AssigneeStaffID.Int64 != sess.ID {
		return s.cat.T(lang, "desk_case_taken_by", map[string]any{"Name": c.AssigneeName.String})
	}
	return ""
}

// assign is bot.assign's store side: status, audit, the assigned event.
func (s *Server) assign(ctx context.Context, tx *store.Tx, sess store.DeskSession, c store.Case) error {
	st := c.Status
	if st == store.CaseNew {
		st = store.CaseAssigned
	}
	if err := tx.SetCaseStatus(ctx, c.ID, st, sess.ID); err != nil {
		return err
	}
	if err := tx.Audit(ctx, sess.ID, 0, "take", c.ID, "desk"); err != nil {
		return err
	}
	return addEvent(ctx, tx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: sess.ID, Kind: "assigned"})
}

// addEvent writes a case event made at the desk and marks it to be posted
// in the case's topic, so Telegram sees what was done on the web.
func addEvent(ctx context.Context, tx *store.Tx, e store.NewEvent) error {
	id, err := tx.AddCaseEvent(ctx, e)
	if err != nil {
		return err
	}
	return tx.MirrorToTopic(ctx, id, e.CaseID)
}

// answer sends the member's text to the person: the same event the topic
// relay writes (relayed to the returnee, signed with the display name on
// their channel), taking the case first when nobody has.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	l := s.lang(r)
	text := formText(r)
	s.caseAction(w, r, sess, "message", "answered", func(tx *store.Tx, c store.Case) (string, error) {
		if refusal := s.textRefusal(l, text); refusal != "" {
			return refusal, nil
		}
		if refusal := s.takeRefusal(l, sess, c); refusal != "" {
			return refusal, nil
		}
		ctx := r.Context()
		if c.Status == store.CaseNew || !c.AssigneeStaffID.Valid {
			if err := s.assign(ctx, tx, sess, c); err != nil {
				return "", err
			}
		}
		if err := addEvent(ctx, tx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: sess.ID, Kind: "message", Body: text, RelayTo: "returnee"}); err != nil {
			return "", err
		}
		if err := tx.SetCaseStatus(ctx, c.ID, store.CaseWaiting, 0); err != nil {
			return "", err
		}
		if err := tx.MarkFirstResponse(ctx, c.ID, s.db.Now()); err != nil {
			return "", err
		}
		return "", tx.Audit(ctx, sess.ID, 0, "message", c.ID, "desk")
	})
}

// formText is the form's text, trimmed, with the browser's line ends.
func formText(r *http.Request) string {
	return strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n"))
}

// textRefusal is why a text cannot be sent or kept, in lang ("" when it
// can).
func (s *Server) textRefusal(lang, text string) string {
	switch {
	case text == "":
		return s.cat.T(lang, "desk_text_empty", nil)
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		return s.cat.T(lang, "desk_text_bad", nil)
	case utf8.RuneCountInString(text) > maxAnswer:
		return s.cat.T(lang, "desk_text_long", map[string]any{"Max": maxAnswer})
	}
	return ""
}

// note keeps an internal note on the case, never sent to the person (the
// same event as /note in Telegram).
func (s *Server) note(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	l := s.lang(r)
	text := formText(r)
	s.caseAction(w, r, sess, "note", "noted", func(tx *store.Tx, c store.Case) (string, error) {
		if refusal := s.textRefusal(l, text); refusal != "" {
			return refusal, nil
		}
		if !c.Open() {
			return s.cat.T(l, "desk_case_closed", nil), nil
		}
		if err := addEvent(r.Context(), tx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: sess.ID, Kind: "note", Body: text}); err != nil {
			return "", err
		}
		return "", tx.Audit(r.Context(), sess.ID, 0, "note", c.ID, "desk")
	})
}

// closeCase closes with an outcome; the person is told and asked for a
// rating through the relay, as when closing from Telegram.
func (s *Server) closeCase(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	l := s.lang(r)
	outcome := r.PostFormValue("outcome")
	s.caseAction(w, r, sess, "close", "closed", func(tx *store.Tx, c store.Case) (string, error) {
		if !slices.Contains(store.Outcomes, outcome) {
			return s.cat.T(l, "desk_outcome_missing", nil), nil
		}
		if !c.Open() {
			return s.cat.T(l, "desk_case_closed", nil), nil
		}
		ctx := r.Context()
		if err := tx.CloseCase(ctx, c.ID, outcome, s.db.Now()); err != nil {
			return "", err
		}
		if err := tx.Audit(ctx, sess.ID, 0, "close", c.ID, outcome); err != nil {
			return "", err
		}
		if err := addEvent(ctx, tx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: sess.ID, Kind: "closed", Body: outcome, RelayTo: "returnee"}); err != nil {
			return "", err
		}
		return "", tx.ClearPrivateCase(ctx, c.ID)
	})
}

// reopen opens a closed case again with a reason (kept in the history and
// posted in the topic); the case goes back to whoever had it. The person
// is not told: the counsellor writes to them when there is something to
// say.
func (s *Server) reopen(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	l := s.lang(r)
	reason := formText(r)
	s.caseAction(w, r, sess, "reopen", "reopened", func(tx *store.Tx, c store.Case) (string, error) {
		if c.Open() {
			return s.cat.T(l, "desk_case_is_open", nil), nil
		}
		if reason == "" {
			return s.cat.T(l, "desk_reopen_why", nil), nil
		}
		if refusal := s.textRefusal(l, reason); refusal != "" {
			return refusal, nil
		}
		ctx := r.Context()
		if err := tx.ReopenCase(ctx, c.ID); err != nil {
			return "", err
		}
		if err := addEvent(ctx, tx, store.NewEvent{CaseID: c.ID, Actor: "staff", StaffID: sess.ID, Kind: "reopened", Body: reason}); err != nil {
			return "", err
		}
		return "", tx.Audit(ctx, sess.ID, 0, "reopen", c.ID, "desk")
	})
}
