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
				s.render(w, http.StatusForbidden, "message", map[string]any{"Title": "Không có quyền", "Sess": sess,
					"Text": "Vai trò của bạn không được dùng trang này."})
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

var roleNames = map[store.Role]string{
	store.RoleCounsellor: "Tư vấn viên",
	store.RoleOfficer:    "Cán bộ xã/phường",
	store.RoleAdmin:      "Quản trị",
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
		notice = "Đã thu hồi quyền. Các phiên đăng nhập của người đó đã kết thúc."
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
		row := staffRow{StaffListing: st, RoleName: roleNames[st.Role], Communes: strings.Join(st.Communes, ", "), Self: st.ID == sess.ID}
		if row.Communes == "" {
			row.Communes = "Toàn tỉnh"
		}
		switch {
		case !st.Active:
			row.State = "Đã thu hồi " + st.RevokedAt.Time.In(s.opt.Loc).Format("02/01/2006")
		case st.TelegramUserID.Valid || st.InviteUsed.Valid:
			row.State = "Đang hoạt động"
		case st.InviteExpires.Valid && !st.InviteExpires.Time.After(now):
			row.State = "Lời mời đã hết hạn"
		case st.InviteExpires.Valid:
			row.State = "Đã mời, đến " + st.InviteExpires.Time.In(s.opt.Loc).Format("02/01/2006 15:04")
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
		roles = append(roles, map[string]string{"Value": string(ro), "Name": roleNames[ro]})
	}
	s.render(w, status, "staff", map[string]any{"Title": "Nhân viên", "Sess": sess, "Rows": rows, "Form": form,
		"Roles": roles, "Problems": problems, "Notice": notice, "Communes": communes, "Created": created, "MaxDays": maxInviteDays, "MaxName": maxDisplayName})
}

// invite creates a staff record and its one-time code (store.CreateInvite,
// as the CLI and the bulk import do), with the CLI's checks.
func (s *Server) invite(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	form := inviteForm{Role: r.PostFormValue("role"), Communes: strings.TrimSpace(r.PostFormValue("communes")),
		Name: strings.TrimSpace(r.PostFormValue("name"))}
	var problems []string
	role := store.Role(form.Role)
	if _, ok := roleNames[role]; !ok {
		problems = append(problems, "Hãy chọn vai trò.")
		form.Role = ""
	}
	var codes []string
	switch c := strings.ToLower(form.Communes); {
	case c == "all" || c == "toàn tỉnh":
		if role == store.RoleOfficer {
			problems = append(problems, "Cán bộ xã/phường cần mã xã/phường của mình, không phải toàn tỉnh.")
		}
	case c == "":
		problems = append(problems, "Hãy ghi mã xã/phường (cách nhau bằng dấu phẩy), hoặc \"all\" cho toàn tỉnh.")
	default:
		for _, code := range strings.FieldsFunc(c, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
			if !communeCodeRe.MatchString(code) {
				problems = append(problems, fmt.Sprintf("%q không phải mã xã/phường (chỉ gồm 3 đến 6 chữ số).", clip(code, 20)))
				continue
			}
			codes = append(codes, code)
		}
	}
	if !utf8.ValidString(form.Name) || strings.ContainsAny(form.Name, "<>") {
		problems = append(problems, "Tên hiển thị có ký tự không hợp lệ.")
		form.Name = ""
	} else if n := utf8.RuneCountInString(form.Name); n == 0 || n > maxDisplayName {
		problems = append(problems, fmt.Sprintf("Hãy ghi tên hiển thị từ 1 đến %d ký tự.", maxDisplayName))
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("days")))
	form.Days = days
	if err != nil || days < 1 || days > maxInviteDays {
		problems = append(problems, fmt.Sprintf("Thời hạn lời mời từ 1 đến %d ngày.", maxInviteDays))
		form.Days = 7
	}
	if len(problems) == 0 && len(codes) > 0 {
		unknown, err := s.db.UnknownCommunes(ctx, codes)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if len(unknown) > 0 {
			problems = append(problems, "Không có xã/phường mã "+strings.Join(unknown, ", ")+" (hãy nhập danh sách xã/phường trước).")
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
		s.message(w, http.StatusNotFound, "Không tìm thấy nhân viên này.")
		return
	}
	if id == sess.ID {
		// The last admin must not lock everyone out by a slip of the mouse.
		s.render(w, http.StatusConflict, "message", map[string]any{"Title": "Nhân viên", "Sess": sess,
			"Text": "Bạn không thể tự thu hồi quyền của mình. Hãy nhờ một quản trị viên khác."})
		return
	}
	if err := s.db.RevokeStaff(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		s.render(w, http.StatusNotFound, "message", map[string]any{"Title": "Nhân viên", "Sess": sess,
			"Text": "Không tìm thấy nhân viên này, hoặc quyền đã được thu hồi trước đó."})
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), sess.ID, "staff_revoke", 0, "desk #"+strconv.FormatInt(id, 10))
	http.Redirect(w, r, "/staff?m=revoked", http.StatusSeeOther)
}
