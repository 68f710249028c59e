package desk

// Officers' and admins' pages (issue 19, item 3): the monthly report
// (report.go), the audit log (audit.go), staff invites and revocation
// (here) and reference data import (import.go). Who may open each is what
// Telegram and the CLI allow, and a refusal is audited the same way.

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"

	"reentrybot/domain"
	"reentrybot/store"
)

func (s *Server) adminRoutes(mux *http.ServeMux) {
	reporter := s.allowed("report", canReport)
	admin := func(action string) func(func(http.ResponseWriter, *http.Request, store.DeskSession)) http.HandlerFunc {
		return s.allowed(action, isAdmin)
	}
	mux.HandleFunc("GET /report", reporter(s.reportPage))
	mux.HandleFunc("GET /report/file", reporter(s.reportFile))
	mux.HandleFunc("GET /audit", admin("audit")(s.auditPage))
	mux.HandleFunc("GET /staff", admin("staff")(s.staffPage))
	mux.HandleFunc("POST /staff/invite", admin("staff")(s.invite))
	mux.HandleFunc("POST /staff/{id}/revoke", admin("staff")(s.revoke))
	mux.HandleFunc("GET /import", admin("import")(s.importPage))
	mux.HandleFunc("POST "+importPreview, admin("import")(s.importPreview))
	mux.HandleFunc("POST "+importApply, admin("import")(s.importApply))
}

// canReport is bot.staffReport's rule: admins and commune officers.
func canReport(st store.Staff) bool {
	return st.Role == store.RoleAdmin || st.Role == store.RoleOfficer
}

// isAdmin is the rule of /audit, staff invites and imports.
func isAdmin(st store.Staff) bool { return st.Role == store.RoleAdmin }

// allowed wraps staff: a member whose role may not do action is refused
// (403) and the refusal audited as denied_<action>, as in Telegram.
func (s *Server) allowed(action string, ok func(store.Staff) bool) func(func(http.ResponseWriter, *http.Request, store.DeskSession)) http.HandlerFunc {
	return func(h func(http.ResponseWriter, *http.Request, store.DeskSession)) http.HandlerFunc {
		return s.staff(func(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
			if !ok(sess.Staff) {
				s.log.Warn("desk page refused to the role", "staff", sess.ID, "role", sess.Role, "path", r.URL.Path)
				s.audit(r.Context(), sess.ID, "denied_"+action, 0, "desk "+r.URL.Path)
				s.sayTo(w, r, sess, http.StatusForbidden, "desk_role_not_allowed", nil) // lang.go
				return
			}
			h(w, r, sess)
		})
	}
}

// Uploads: an import file may be larger than a form, and its preview
// carries it back once more (base64) to be applied.
const (
	maxImportFile = 2 << 20
	importPreview = "/import/preview"
	importApply   = "/import/apply"
)

// bodyLimit bounds a POST's body (staff, desk.go).
func bodyLimit(r *http.Request) int64 {
	if r.URL.Path == importPreview || r.URL.Path == importApply {
		return 2*maxImportFile + 64<<10
	}
	return 64 << 10
}

// Staff invites, as `reentrybot staff invite` makes them.

var communeCodeRe = regexp.MustCompile(`^[0-9]{3,6}$`)

// Invite limits: the CLI's.
const (
	maxDisplayName = 64
	maxInviteDays  = 90
)

// roleNames are the catalog keys of the roles' names.
var roleNames = map[store.Role]string{
	store.RoleCounsellor: "desk_staff_role_counsellor",
	store.RoleOfficer:    "desk_staff_role_officer",
	store.RoleAdmin:      "desk_staff_role_admin",
}

// staffRow is one line of the staff list.
type staffRow struct {
	store.StaffListing
	RoleName, Communes, State string
	Self                      bool
}

// inviteForm is the invite form's values, kept when it is refused.
type inviteForm struct {
	Role, Communes, Name string
	Days                 int
}

// newInvite is a created invite's links, shown once.
type newInvite struct {
	ID                  int64
	Name, Web, Telegram string
	QR                  template.URL
	Until               time.Time
}

func (s *Server) staffPage(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	notice := ""
	if r.URL.Query().Get("m") == "revoked" {
		notice = s.tr(r, "desk_staff_revoked_notice", nil)
	}
	s.showStaff(w, r, sess, http.StatusOK, inviteForm{Role: string(store.RoleCounsellor), Days: 7}, nil, notice, nil)
}

func (s *Server) showStaff(w http.ResponseWriter, r *http.Request, sess store.DeskSession, status int, form inviteForm, problems []string, notice string, created *newInvite) {
	list, err := s.db.ListStaff(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.db.Now()
	rows := make([]staffRow, len(list))
	for i, st := range list {
		row := staffRow{StaffListing: st, RoleName: s.tr(r, roleNames[st.Role], nil), Communes: strings.Join(st.Communes, ", "), Self: st.ID == sess.ID}
		if row.Communes == "" {
			row.Communes = s.tr(r, "desk_staff_province", nil)
		}
		switch {
		case !st.Active:
			row.State = s.tr(r, "desk_staff_revoked_on", map[string]any{"Date": st.RevokedAt.Time.In(s.opt.Loc).Format("02/01/2006")})
		case st.TelegramUserID.Valid || st.InviteUsed.Valid:
			row.State = s.tr(r, "desk_staff_active", nil)
		case st.InviteExpires.Valid && !st.InviteExpires.Time.After(now):
			row.State = s.tr(r, "desk_staff_invite_expired", nil)
		case st.InviteExpires.Valid:
			row.State = s.tr(r, "desk_staff_invited_until", map[string]any{"Until": st.InviteExpires.Time.In(s.opt.Loc).Format("02/01/2006 15:04")})
		}
		rows[i] = row
	}
	// The codes to type, for reference (active communes only).
	var communes []domain.Commune
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) (err error) { communes, err = tx.AllCommunes(r.Context()); return err }); err != nil {
		s.fail(w, r, err)
		return
	}
	communes = slices.DeleteFunc(communes, func(c domain.Commune) bool { return !c.Active })
	roles := []map[string]string{}
	for _, ro := range []store.Role{store.RoleCounsellor, store.RoleOfficer, store.RoleAdmin} {
		roles = append(roles, map[string]string{"Value": string(ro), "Name": s.tr(r, roleNames[ro], nil)})
	}
	data := s.pageData(r, "desk_staff_title", "/staff") // lang.go
	for k, v := range map[string]any{"Sess": sess, "Rows": rows, "Form": form, "Roles": roles, "Problems": problems, "Notice": notice,
		"Communes": communes, "Created": created, "MaxDays": maxInviteDays, "MaxName": maxDisplayName} {
		data[k] = v
	}
	s.render(w, status, "staff", data)
}

// invite creates a staff record and its one-time code (store.CreateInvite,
// as the CLI and the bulk import do), with the CLI's checks.
func (s *Server) invite(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	form := inviteForm{Role: r.PostFormValue("role"), Communes: strings.TrimSpace(r.PostFormValue("communes")),
		Name: strings.TrimSpace(r.PostFormValue("name"))}
	var problems []string
	problem := func(key string, params map[string]any) { problems = append(problems, s.tr(r, key, params)) }
	role := store.Role(form.Role)
	if _, ok := roleNames[role]; !ok {
		problem("desk_staff_pick_role", nil)
		form.Role = ""
	}
	var codes []string
	switch c := strings.ToLower(form.Communes); {
	case c == "all" || c == "toàn tỉnh":
		if role == store.RoleOfficer {
			problem("desk_staff_officer_province", nil)
		}
	case c == "":
		problem("desk_staff_no_communes", nil)
	default:
		for _, code := range strings.FieldsFunc(c, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			if !communeCodeRe.MatchString(code) {
				problem("desk_staff_bad_code", map[string]any{"Code": strconv.Quote(clip(code, 20))})
				continue
			}
			codes = append(codes, code)
		}
	}
	if !utf8.ValidString(form.Name) || strings.ContainsAny(form.Name, "<>") {
		problem("desk_staff_bad_name", nil)
		form.Name = ""
	} else if n := utf8.RuneCountInString(form.Name); n == 0 || n > maxDisplayName {
		problem("desk_staff_name_length", map[string]any{"Max": maxDisplayName})
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	form.Days = days
	if err != nil || days < 1 || days > maxInviteDays {
		problem("desk_staff_days", map[string]any{"Max": maxInviteDays})
		form.Days = 7
	}
	if len(problems) == 0 && len(codes) > 0 {
		unknown, err := s.db.UnknownCommunes(ctx, codes)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(unknown) > 0 {
			problem("desk_staff_unknown_communes", map[string]any{"Codes": strings.Join(unknown, ", ")})
		}
	}
	if len(problems) > 0 {
		s.showStaff(w, r, sess, http.StatusBadRequest, form, problems, "", nil)
		return
	}
	code := newToken()
	until := s.db.Now().Add(time.Duration(days) * 24 * time.Hour)
	id, err := s.db.CreateInvite(ctx, role, codes, form.Name, s.opt.HashInvite(code), until)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	scope := strings.Join(codes, ",")
	if scope == "" {
		scope = "all"
	}
	s.audit(ctx, sess.ID, "staff_invite", 0, fmt.Sprintf("desk #%d %s %s", id, role, scope))
	created := &newInvite{ID: id, Name: form.Name, Until: until, Web: s.baseURL(r) + InvitePath + code}
	if s.opt.InviteLink != nil {
		created.Telegram = s.opt.InviteLink(code)
		if png, err := qrcode.Encode(created.Telegram, qrcode.Medium, 256); err == nil {
			created.QR = template.URL(dataURL(png)) // made here, not from input
		}
	}
	s.showStaff(w, r, sess, http.StatusOK, inviteForm{Role: string(store.RoleCounsellor), Days: 7}, nil, "", created)
}

// baseURL is the desk's address for links staff open elsewhere.
func (s *Server) baseURL(r *http.Request) string {
	if s.opt.URL != "" {
		return strings.TrimRight(s.opt.URL, "/")
	}
	scheme := "http"
	if secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// revoke ends a member's access with store.RevokeStaff, as the CLI does
// (which also ends their desk sessions).
func (s *Server) revoke(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.sayTo(w, r, sess, http.StatusNotFound, "desk_staff_not_found", nil)
		return
	}
	if id == sess.ID {
		// The last admin must not lock everyone out by a slip of the mouse.
		s.sayTo(w, r, sess, http.StatusConflict, "desk_staff_revoke_self", nil)
		return
	}
	if err := s.db.RevokeStaff(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		s.sayTo(w, r, sess, http.StatusNotFound, "desk_staff_revoke_gone", nil)
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), sess.ID, "staff_revoke", 0, "desk #"+strconv.FormatInt(id, 10))
	http.Redirect(w, r, "/staff?m=revoked", http.StatusSeeOther)
}
