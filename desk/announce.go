package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"reentrybot/announce"
	"reentrybot/i18n"
	"reentrybot/store"
)

// The announcement composer on the web (issue 19, item 3): a form over the
// same broadcasts row as /announce in Telegram. The form saves the draft
// (step "confirm") and shows the preview; Send confirms it, and from then
// on the bot's workers deliver it on every channel at the shared pace, as
// one sent from Telegram. The rules (scope, limits, "< 5", approval) are
// package announce's, shared with the bot.

// stepConfirm is the composers' step "preview shown, waiting for Send"
// (package announce): a draft saved by the web form is there, so the
// Telegram Send button of the same draft would work too.
const stepConfirm = announce.StepConfirm

func (s *Server) announceRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /announce", s.announcer(s.announceList))
	mux.HandleFunc("GET /announce/new", s.announcer(s.announceForm))
	mux.HandleFunc("POST /announce/preview", s.announcer(s.announcePreview))
	mux.HandleFunc("POST /announce/confirm", s.announcer(s.announceConfirm))
	mux.HandleFunc("POST /announce/discard", s.announcer(s.announceDiscard))
	mux.HandleFunc("POST /announce/{id}/cancel", s.announcer(s.announceCancel))
	mux.HandleFunc("POST /announce/{id}/approve", s.announcer(s.announceDecide(true)))
	mux.HandleFunc("POST /announce/{id}/refuse", s.announcer(s.announceDecide(false)))
}

// announcer wraps staff with the announcement right: officers of their
// communes and admins; others are refused and audited as in Telegram.
func (s *Server) announcer(h func(http.ResponseWriter, *http.Request, store.DeskSession)) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
		if !announce.Allowed(sess.Staff) {
			s.log.Warn("desk announcement refused", "staff", sess.ID, "path", r.URL.Path)
			s.audit(r.Context(), sess.ID, "denied_announce", 0, "desk "+r.URL.Path)
			s.say(w, r, http.StatusForbidden, "desk_announce_not_allowed", nil)
			return
		}
		h(w, r, sess)
	})
}

// stateName is how the pages name a broadcast's state, in lang.
func (s *Server) stateName(lang string, b store.BroadcastListing) string {
	if b.Status == store.BroadcastCancelled && b.CancelReason.String == "rejected" {
		return s.cat.T(lang, "desk_bstate_rejected", nil)
	}
	return s.cat.T(lang, "desk_bstate_"+string(b.Status), nil)
}

// listRow is one announcement of the list.
type listRow struct {
	store.BroadcastListing
	State     string
	When      time.Time
	Where     string
	Snippet   string
	Total     int
	CanCancel bool
	CanDecide bool
}

func (s *Server) announceList(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	data := s.pageData(r, "desk_announce_title", "/announce") // lang.go
	l := data["Lang"].(string)
	author := sess.ID
	if sess.Role == store.RoleAdmin {
		author = 0 // admins see everyone's, to approve and cancel
	}
	list, err := s.db.RecentBroadcasts(ctx, author, 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var codes []string
	for _, l := range list {
		codes = append(codes, l.Communes...)
	}
	var names map[string]string
	if err := s.db.InTx(ctx, func(tx *store.Tx) error {
		names, err = tx.CommuneNames(ctx, codes)
		return err
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]listRow, len(list))
	live := false
	for i, b := range list {
		row := listRow{BroadcastListing: b, State: s.stateName(l, b), When: b.CreatedAt, Where: s.where(l, b.Broadcast, names),
			Snippet: announce.Snippet(b.Body, 80), Total: b.Figures.Total}
		if b.ScheduledAt.Valid {
			row.When = b.ScheduledAt.Time
		}
		if row.Total == 0 {
			row.Total = b.Estimate
		}
		open := b.Status == store.BroadcastPending || b.Status == store.BroadcastScheduled || b.Status == store.BroadcastRunning
		row.CanCancel = open && (b.AuthorStaffID == sess.ID || sess.Role == store.RoleAdmin)
		row.CanDecide = b.Status == store.BroadcastPending && sess.Role == store.RoleAdmin
		live = live || b.Status == store.BroadcastScheduled || b.Status == store.BroadcastRunning || b.Status == store.BroadcastPending
		rows[i] = row
	}
	data["Sess"], data["Rows"] = sess, rows
	if key, ok := listNotices[r.URL.Query().Get("m")]; ok {
		data["Notice"] = s.cat.T(l, key, nil)
	}
	if live {
		data["Refresh"] = 5 // seconds: the figures move while it sends
	}
	s.render(w, http.StatusOK, "announce", data)
}

// listNotices are the catalog keys of what the last action did (?m=).
var listNotices = map[string]string{
	"scheduled": "desk_announce_m_scheduled",
	"pending":   "desk_announce_m_pending",
	"cancelled": "desk_announce_m_cancelled",
	"approved":  "desk_announce_m_approved",
	"refused":   "desk_announce_m_refused",
	"discarded": "desk_announce_m_discarded",
}

// where names a broadcast's communes (the first few), or the province in
// lang.
func (s *Server) where(lang string, b store.Broadcast, names map[string]string) string {
	if b.ProvinceWide {
		return s.cat.T(lang, "desk_announce_province", nil)
	}
	var parts []string
	for i, c := range b.Communes {
		if i == 5 {
			parts = append(parts, "+"+strconv.Itoa(len(b.Communes)-5))
			break
		}
		if n := names[c]; n != "" {
			c = n
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, ", ")
}

// composition is what the form holds.
type composition struct {
	Communes []string // chosen codes
	Province bool
	Interest string
	Text     string
	When     string // now, tomorrow or at
	At       string // "dd/mm hh:mm" when When is at
}

// communeChoice is a checkbox of the form.
type communeChoice struct {
	Code, Name string
	Checked    bool
}

// choices are the communes the member may pick: their own, or (admins)
// every active one.
func (s *Server) choices(ctx context.Context, sess store.DeskSession, chosen []string) ([]communeChoice, error) {
	var out []communeChoice
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		out = nil
		if sess.Role != store.RoleAdmin {
			names, err := tx.CommuneNames(ctx, sess.Communes)
			if err != nil {
				return err
			}
			for _, c := range sess.Communes {
				out = append(out, communeChoice{Code: c, Name: cmpName(names[c], c)})
			}
			return nil
		}
		all, err := tx.AllCommunes(ctx)
		if err != nil {
			return err
		}
		for _, c := range all {
			if c.Active {
				out = append(out, communeChoice{Code: c.Code, Name: c.Name})
			}
		}
		return nil
	})
	for i := range out {
		out[i].Checked = slices.Contains(chosen, out[i].Code)
	}
	return out, err
}

func cmpName(name, code string) string {
	if name != "" {
		return name
	}
	return code
}

// announceForm shows the composer, filled from the member's draft if
// there is one (begun here or in Telegram).
func (s *Server) announceForm(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	c := composition{Interest: "all", When: "now"}
	if len(sess.Communes) == 1 && sess.Role != store.RoleAdmin {
		c.Communes = []string{sess.Communes[0]}
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		d, ok, err := tx.Draft(ctx, sess.ID, announce.DraftLife, s.db.Now())
		if err != nil || !ok {
			return err
		}
		c.Text, c.Province, c.Communes, c.Interest = d.Body, d.ProvinceWide, d.Communes, d.Interest
		if d.ScheduledAt.Valid {
			c.When, c.At = "at", d.ScheduledAt.Time.In(s.opt.Loc).Format("02/01/2006 15:04")
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showForm(w, r, sess, http.StatusOK, c, "")
}

// showForm shows the composer; problem is already in the request's
// language.
func (s *Server) showForm(w http.ResponseWriter, r *http.Request, sess store.DeskSession, status int, c composition, problem string) {
	communes, err := s.choices(r.Context(), sess, c.Communes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := s.pageData(r, "desk_announce_compose", "/announce/new") // lang.go
	data["Sess"], data["C"], data["Communes"], data["Admin"] = sess, c, communes, sess.Role == store.RoleAdmin
	data["Interests"], data["MaxText"], data["Problem"] = store.Interests, announce.MaxText, problem
	s.render(w, status, "announce_form", data)
}

// readComposition reads the form. A commune outside the member's scope
// is not a mistake to correct but a forged form: scopeErr says so.
func readComposition(r *http.Request, sess store.DeskSession) (c composition, scopeErr error) {
	c = composition{
		Communes: r.PostForm["commune"], Province: r.PostFormValue("province") == "1",
		Interest: r.PostFormValue("interest"), Text: r.PostFormValue("text"),
		When: r.PostFormValue("when"), At: strings.TrimSpace(r.PostFormValue("at")),
	}
	slices.Sort(c.Communes)
	c.Communes = slices.Compact(c.Communes)
	if len(c.Communes) > 200 {
		return c, errors.New("too many communes")
	}
	if sess.Role != store.RoleAdmin {
		if c.Province {
			return c, errors.New("province-wide")
		}
		for _, code := range c.Communes {
			if !sess.InScope(code) {
				return c, fmt.Errorf("commune %q", clip(code, 12))
			}
		}
	}
	return c, nil
}

// draftOf turns a checked composition into the draft's fields; problem
// is why it cannot be sent as it is, in lang ("" when it can).
func (s *Server) draftOf(lang string, c composition, d *store.Broadcast) (problem string) {
	body, n, ok := announce.Body(c.Text, announce.MaxText)
	switch {
	case body == "":
		return s.cat.T(lang, "desk_announce_empty", nil)
	case !ok:
		return s.cat.T(lang, "desk_announce_too_long", map[string]any{"Len": n, "Max": announce.MaxText})
	case !c.Province && len(c.Communes) == 0:
		return s.cat.T(lang, "desk_announce_no_commune", nil)
	case !slices.Contains(store.Interests, c.Interest):
		return s.cat.T(lang, "desk_announce_no_interest", nil)
	}
	d.Body, d.ProvinceWide, d.Communes, d.Interest = body, c.Province, c.Communes, c.Interest
	if c.Province {
		d.Communes = nil
	}
	d.MediaKind, d.MediaFileID = sql.NullString{}, sql.NullString{} // the web sends text only
	now := s.db.Now()
	switch c.When {
	case "now":
		d.ScheduledAt = sql.NullTime{}
	case "tomorrow":
		d.ScheduledAt = sql.NullTime{Time: announce.Tomorrow8(now, s.opt.Loc), Valid: true}
	case "at":
		at, key := announce.ParseWhen(c.At, now, s.opt.Loc)
		switch key {
		case "announce_past_time":
			return s.cat.T(lang, "desk_announce_past", nil)
		case "":
			d.ScheduledAt = sql.NullTime{Time: at, Valid: true}
		default:
			return s.cat.T(lang, "desk_announce_bad_time", nil)
		}
	default:
		return s.cat.T(lang, "desk_announce_no_when", nil)
	}
	return ""
}

// channelRow is one channel of the preview.
type channelRow struct {
	Name, People, How string
}

// announcePreview saves the form into the member's draft and shows the
// announcement as recipients will read it, with who receives it.
func (s *Server) announcePreview(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	l := s.lang(r)
	c, scopeErr := readComposition(r, sess)
	if scopeErr != nil {
		s.outOfScope(w, r, sess, scopeErr)
		return
	}
	var (
		d       store.Broadcast
		problem string
		n       int
		rows    []channelRow
		names   map[string]string
	)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		problem, rows = "", nil
		var ok bool
		var err error
		if d, ok, err = tx.Draft(ctx, sess.ID, announce.DraftLife, s.db.Now()); err != nil {
			return err
		}
		if !ok {
			if d, err = tx.NewDraft(ctx, sess.ID, sess.TelegramUserID.Int64, i18n.Default); err != nil {
				return err
			}
		}
		if problem = s.draftOf(l, c, &d); problem != "" {
			return nil
		}
		for _, code := range d.Communes {
			if _, err := tx.Commune(ctx, code); errors.Is(err, store.ErrNotFound) {
				problem = s.cat.T(l, "desk_announce_unknown_commune", map[string]any{"Code": clip(code, 12)})
				return nil
			} else if err != nil {
				return err
			}
		}
		if n, err = tx.CountAudience(ctx, d.Audience()); err != nil {
			return err
		}
		if n == 0 {
			problem = s.cat.T(l, "desk_announce_nobody_yet", nil)
			return nil
		}
		counts, err := announce.ByChannel(ctx, tx, d.Audience(), s.opt.Reacher)
		if err != nil {
			return err
		}
		for _, cc := range counts {
			row := channelRow{Name: announce.ChannelLabel(cc.Channel), People: shown(sess, cc.People)}
			if cc.ReachErr != nil {
				s.log.Warn("previewing an announcement's reach", "channel", cc.Channel, "err", cc.ReachErr)
			} else if h := cc.Reach; h != nil {
				row.How = s.cat.T(l, "desk_announce_reach", map[string]any{"Messages": shown(sess, h.Messages), "Templates": shown(sess, h.Templates), "Skipped": shown(sess, h.Skipped)})
			}
			rows = append(rows, row)
		}
		if names, err = tx.CommuneNames(ctx, d.Communes); err != nil {
			return err
		}
		d.Step = stepConfirm
		return tx.SaveDraft(ctx, d)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if problem != "" {
		s.showForm(w, r, sess, http.StatusUnprocessableEntity, c, problem)
		return
	}
	when := s.cat.T(l, "desk_announce_now", nil)
	if d.ScheduledAt.Valid {
		at := d.ScheduledAt.Time.In(s.opt.Loc)
		when = s.cat.T(l, "desk_announce_at", map[string]any{"Time": at.Format("15:04"), "Date": at.Format("02/01/2006")})
	}
	d.AuthorName = sess.DisplayName
	// The page comes back to the form (the draft is kept) after a change
	// of language.
	data := s.pageData(r, "desk_announce_preview", "/announce/new")
	data["Sess"], data["ID"] = sess, d.ID
	// Text is the recipient's Telegram HTML: the header from our catalog,
	// the author's words escaped; in Vietnamese, as recipients read it
	// whatever the member's language.
	data["Text"] = template.HTML(announce.Text(s.cat, i18n.Default, d))
	data["People"], data["Channels"], data["Where"] = shown(sess, n), rows, s.where(l, d, names)
	data["Who"], data["When"] = s.cat.T(l, "interest_"+d.Interest, nil), when
	data["Approval"], data["Over"] = announce.Status(sess.Role, n, s.opt.ApprovalOver) == store.BroadcastPending, s.opt.ApprovalOver
	s.render(w, http.StatusOK, "announce_preview", data)
}

// shown is a count as the member may see it ("< 5" for officers).
func shown(sess store.DeskSession, n int) string {
	v, _ := announce.Shown(sess.Role, n)
	return v
}

// outOfScope refuses a form naming a commune beyond the member's area:
// nothing is saved, the refusal is audited as in Telegram.
func (s *Server) outOfScope(w http.ResponseWriter, r *http.Request, sess store.DeskSession, why error) {
	s.log.Warn("desk announcement out of scope", "staff", sess.ID, "why", why)
	s.audit(r.Context(), sess.ID, "denied_announce_scope", 0, "desk "+why.Error())
	s.say(w, r, http.StatusForbidden, "desk_announce_out_of_scope", nil)
}

// announceConfirm sends the previewed draft: scheduled, or waiting for an
// admin when an officer's reaches more than the approval threshold.
func (s *Server) announceConfirm(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	var (
		st      store.BroadcastStatus
		refusal string // a catalog key
		scope   bool
	)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		refusal, scope = "", false
		d, ok, err := tx.Draft(ctx, sess.ID, announce.DraftLife, s.db.Now())
		if err != nil {
			return err
		}
		if !ok || d.ID != id || d.Step != stepConfirm {
			refusal = "desk_announce_draft_changed"
			return nil
		}
		if !announce.InScope(sess.Staff, d) { // the member's area may have changed since
			scope = true
			return nil
		}
		n, err := tx.CountAudience(ctx, d.Audience())
		if err != nil {
			return err
		}
		if n == 0 {
			refusal = "desk_announce_nobody"
			return nil
		}
		st = announce.Status(sess.Role, n, s.opt.ApprovalOver)
		if err := tx.ConfirmBroadcast(ctx, d.ID, st, n, s.db.Now()); err != nil {
			return err
		}
		return tx.Audit(ctx, sess.ID, 0, "announce_"+string(st), 0, fmt.Sprintf("#%d to %d, desk", d.ID, n))
	})
	switch {
	case err != nil:
		s.fail(w, r, err)
	case scope:
		s.outOfScope(w, r, sess, errors.New("confirm: audience beyond the member's communes"))
	case refusal != "":
		s.say(w, r, http.StatusConflict, refusal, nil)
	default:
		s.announced(id)
		m := "scheduled"
		if st == store.BroadcastPending {
			m = "pending"
		}
		http.Redirect(w, r, "/announce?m="+m, http.StatusSeeOther)
	}
}

// announced tells the bot (its workers, the admins on Telegram) after a
// confirmation or a cancel.
func (s *Server) announced(id int64) {
	if s.opt.Announced != nil {
		s.opt.Announced(id)
	}
}

func (s *Server) announceDiscard(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		_, err := tx.DiscardDraft(r.Context(), sess.ID)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/announce?m=discarded", http.StatusSeeOther)
}

// announceCancel stops a broadcast for its author or an admin; recipients
// not yet sent to get nothing.
func (s *Server) announceCancel(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	id := caseID(r)
	const cannot = "desk_announce_cannot_cancel"
	var denied, done bool
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		denied, done = false, false
		bc, err := tx.Broadcast(ctx, id)
		if errors.Is(err, store.ErrNotFound) || err == nil && bc.Status == store.BroadcastDraft {
			return nil
		}
		if err != nil {
			return err
		}
		if bc.AuthorStaffID != sess.ID && sess.Role != store.RoleAdmin {
			denied = true
			return nil
		}
		if done, err = tx.CancelBroadcast(ctx, id, sess.ID, s.db.Now()); err != nil || !done {
			return err
		}
		return tx.Audit(ctx, sess.ID, 0, "announce_cancel", 0, "#"+strconv.FormatInt(id, 10)+" desk")
	})
	switch {
	case err != nil:
		s.fail(w, r, err)
	case denied:
		s.log.Warn("desk cancel of another's announcement refused", "staff", sess.ID, "broadcast", id)
		s.audit(ctx, sess.ID, "denied_announce_cancel", 0, "#"+strconv.FormatInt(id, 10)+" desk")
		s.say(w, r, http.StatusForbidden, cannot, nil)
	case !done:
		s.say(w, r, http.StatusConflict, cannot, nil)
	default:
		s.announced(id)
		http.Redirect(w, r, "/announce?m=cancelled", http.StatusSeeOther)
	}
}

// announceDecide is an admin's approval or refusal of a broadcast waiting
// for one; Telegram's buttons on the same row say it was decided.
func (s *Server) announceDecide(approve bool) func(http.ResponseWriter, *http.Request, store.DeskSession) {
	return func(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
		ctx := r.Context()
		id := caseID(r)
		if sess.Role != store.RoleAdmin {
			s.log.Warn("desk announcement decision by non-admin", "staff", sess.ID, "broadcast", id)
			s.audit(ctx, sess.ID, "denied_announce_approval", 0, strconv.FormatInt(id, 10)+" desk")
			s.say(w, r, http.StatusForbidden, "desk_announce_admins_only", nil)
			return
		}
		action, m := "announce_approve", "approved"
		if !approve {
			action, m = "announce_reject", "refused"
		}
		var decided bool
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if decided, err = tx.DecideBroadcast(ctx, id, sess.ID, approve, s.db.Now()); err != nil || !decided {
				return err
			}
			return tx.Audit(ctx, sess.ID, 0, action, 0, "#"+strconv.FormatInt(id, 10)+" desk")
		})
		switch {
		case err != nil:
			s.fail(w, r, err)
		case !decided:
			s.say(w, r, http.StatusConflict, "desk_announce_decided", nil)
		default:
			if s.opt.Decided != nil {
				s.opt.Decided(id, approve, sess.DisplayName)
			}
			http.Redirect(w, r, "/announce?m="+m, http.StatusSeeOther)
		}
	}
}
