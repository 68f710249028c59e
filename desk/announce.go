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
			s.message(w, http.StatusForbidden, "Vai trò của bạn không gửi thông báo.")
			return
		}
		h(w, r, sess)
	})
}

// stateNames are how the pages name a broadcast's state.
var stateNames = map[store.BroadcastStatus]string{
	store.BroadcastDraft: "Bản nháp", store.BroadcastPending: "Chờ quản trị duyệt", store.BroadcastScheduled: "Đã hẹn giờ",
	store.BroadcastRunning: "Đang gửi", store.BroadcastDone: "Đã gửi xong", store.BroadcastCancelled: "Đã huỷ",
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
	for i, l := range list {
		row := listRow{BroadcastListing: l, State: stateNames[l.Status], When: l.CreatedAt, Where: where(l.Broadcast, names),
			Snippet: announce.Snippet(l.Body, 80), Total: l.Figures.Total}
		if l.ScheduledAt.Valid {
			row.When = l.ScheduledAt.Time
		}
		if l.Status == store.BroadcastCancelled && l.CancelReason.String == "rejected" {
			row.State = "Quản trị không duyệt"
		}
		if row.Total == 0 {
			row.Total = l.Estimate
		}
		open := l.Status == store.BroadcastPending || l.Status == store.BroadcastScheduled || l.Status == store.BroadcastRunning
		row.CanCancel = open && (l.AuthorStaffID == sess.ID || sess.Role == store.RoleAdmin)
		row.CanDecide = l.Status == store.BroadcastPending && sess.Role == store.RoleAdmin
		live = live || l.Status == store.BroadcastScheduled || l.Status == store.BroadcastRunning || l.Status == store.BroadcastPending
		rows[i] = row
	}
	data := map[string]any{"Title": "Thông báo", "Sess": sess, "Rows": rows, "Notice": listNotices[r.URL.Query().Get("m")]}
	if live {
		data["Refresh"] = 5 // seconds: the figures move while it sends
	}
	s.render(w, http.StatusOK, "announce", data)
}

// listNotices say what the last action did (?m=).
var listNotices = map[string]string{
	"scheduled": "Đã lên lịch gửi. Tiến độ hiện dưới đây.",
	"pending":   "Thông báo đã được gửi tới quản trị viên để duyệt trước khi gửi đi.",
	"cancelled": "Đã huỷ thông báo. Những tin chưa gửi sẽ không được gửi.",
	"approved":  "Đã duyệt: thông báo sẽ được gửi theo lịch.",
	"refused":   "Đã từ chối thông báo.",
	"discarded": "Đã bỏ bản nháp.",
}

// where names a broadcast's communes (the first few), or the province.
func where(b store.Broadcast, names map[string]string) string {
	if b.ProvinceWide {
		return "Toàn tỉnh"
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

func (s *Server) showForm(w http.ResponseWriter, r *http.Request, sess store.DeskSession, status int, c composition, problem string) {
	communes, err := s.choices(r.Context(), sess, c.Communes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, status, "announce_form", map[string]any{
		"Title": "Soạn thông báo", "Sess": sess, "C": c, "Communes": communes, "Admin": sess.Role == store.RoleAdmin,
		"Interests": store.Interests, "MaxText": announce.MaxText, "Problem": problem,
	})
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
// is why it cannot be sent as it is ("" when it can).
func (s *Server) draftOf(c composition, d *store.Broadcast) (problem string) {
	body, n, ok := announce.Body(c.Text, announce.MaxText)
	switch {
	case body == "":
		return "Nội dung thông báo đang trống."
	case !ok:
		return fmt.Sprintf("Nội dung dài %d ký tự, quá giới hạn %d: hãy rút gọn.", n, announce.MaxText)
	case !c.Province && len(c.Communes) == 0:
		return "Vui lòng chọn ít nhất một xã/phường."
	case !slices.Contains(store.Interests, c.Interest):
		return "Vui lòng chọn nhóm người nhận."
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
			return "Thời điểm gửi đã qua: hãy chọn một thời điểm sau bây giờ."
		case "":
			d.ScheduledAt = sql.NullTime{Time: at, Valid: true}
		default:
			return "Không đọc được thời điểm gửi: hãy viết theo dạng ngày/tháng giờ:phút, ví dụ 24/12 08:00."
		}
	default:
		return "Vui lòng chọn thời điểm gửi."
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
		if problem = s.draftOf(c, &d); problem != "" {
			return nil
		}
		for _, code := range d.Communes {
			if _, err := tx.Commune(ctx, code); errors.Is(err, store.ErrNotFound) {
				problem = "Không có xã/phường " + clip(code, 12) + "."
				return nil
			} else if err != nil {
				return err
			}
		}
		if n, err = tx.CountAudience(ctx, d.Audience()); err != nil {
			return err
		}
		if n == 0 {
			problem = "Hiện không có ai nhận thông báo này (chưa ai đồng ý nhận thông báo trong phạm vi đã chọn)."
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
				row.How = fmt.Sprintf("tin thường %s, mẫu tin trả phí %s, không gửi được %s", shown(sess, h.Messages), shown(sess, h.Templates), shown(sess, h.Skipped))
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
	when := "Ngay bây giờ"
	if d.ScheduledAt.Valid {
		when = d.ScheduledAt.Time.In(s.opt.Loc).Format("15:04 ngày 02/01/2006")
	}
	d.AuthorName = sess.DisplayName
	s.render(w, http.StatusOK, "announce_preview", map[string]any{
		"Title": "Xem trước thông báo", "Sess": sess, "ID": d.ID,
		// Text is the recipient's Telegram HTML: the header from our
		// catalog, the author's words escaped.
		"Text":   template.HTML(announce.Text(s.cat, i18n.Default, d)),
		"People": shown(sess, n), "Channels": rows, "Where": where(d, names),
		"Who": s.cat.T(i18n.Default, "interest_"+d.Interest, nil), "When": when,
		"Approval": announce.Status(sess.Role, n, s.opt.ApprovalOver) == store.BroadcastPending, "Over": s.opt.ApprovalOver,
	})
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
	s.message(w, http.StatusForbidden, "Bạn chỉ gửi được thông báo tới các xã/phường của mình.")
}

// announceConfirm sends the previewed draft: scheduled, or waiting for an
// admin when an officer's reaches more than the approval threshold.
func (s *Server) announceConfirm(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	var (
		st      store.BroadcastStatus
		refusal string
		scope   bool
	)
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		refusal, scope = "", false
		d, ok, err := tx.Draft(ctx, sess.ID, announce.DraftLife, s.db.Now())
		if err != nil {
			return err
		}
		if !ok || d.ID != id || d.Step != stepConfirm {
			refusal = "Bản nháp này đã thay đổi hoặc không còn. Vui lòng xem trước lại."
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
			refusal = "Hiện không có ai nhận thông báo này."
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
		s.message(w, http.StatusConflict, refusal)
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
	const cannot = "Không huỷ được thông báo này (đã gửi xong, đã huỷ, hoặc không phải của bạn)."
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
		s.message(w, http.StatusForbidden, cannot)
	case !done:
		s.message(w, http.StatusConflict, cannot)
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
			s.message(w, http.StatusForbidden, "Chỉ quản trị viên duyệt thông báo.")
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
			s.message(w, http.StatusConflict, "Thông báo này đã được duyệt hoặc từ chối.")
		default:
			if s.opt.Decided != nil {
				s.opt.Decided(id, approve, sess.DisplayName)
			}
			http.Redirect(w, r, "/announce?m="+m, http.StatusSeeOther)
		}
	}
}
