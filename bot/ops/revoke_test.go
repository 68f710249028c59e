package ops_test

import (
	"fmt"
	"strings"
	"testing"

	"reentrybot/bot/bottest"
	"reentrybot/store"
)

// An admin revokes a member from Telegram: "/revoke" lists who has access,
// "/revoke N" asks, "/revoke N ok" revokes (audited; a case the member had
// taken goes back to the queue); anyone else is refused and audited, and
// nobody revokes themselves.
func TestRevokeFromTelegram(t *testing.T) {
	r := bottest.New(t, bottest.WithFastLimits())
	r.LoadCommunes()
	r.Run()
	admin := r.StaffAccount(store.RoleAdmin, nil, "Quản trị")
	lan := r.StaffAccount(store.RoleCounsellor, nil, "Chị <Lan>")
	staffID := func(tgID int64) int64 {
		var id int64
		if err := r.X.Get(&id, `SELECT id FROM staff WHERE telegram_user_id = $1`, tgID); err != nil {
			t.Fatal(err)
		}
		return id
	}
	lanID, adminID := staffID(lan.ID), staffID(admin.ID)
	r.Exec(`WITH p AS (INSERT INTO people (external_id, chat_ref, commune_code) VALUES ('900', '900', '07840') RETURNING id)
		INSERT INTO cases (person_id, kind, commune_code, status, assignee_staff_id) SELECT id, 'job', '07840', 'assigned', $1 FROM p`, lanID)
	audited := func(action string) int {
		var n int
		if err := r.X.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1`, action); err != nil {
			t.Fatal(err)
		}
		return n
	}
	active := func(id int64) bool {
		var ok bool
		if err := r.X.Get(&ok, `SELECT active FROM staff WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	r.WaitSeen(r.API.SendText(lan, fmt.Sprintf("/revoke %d ok", adminID)))
	r.WaitText(lan.ID, "Chỉ quản trị viên thu hồi được")
	if !active(adminID) || audited("denied_revoke") != 1 {
		t.Fatalf("a counsellor's /revoke: admin active %v, denied_revoke rows %d", active(adminID), audited("denied_revoke"))
	}

	r.WaitSeen(r.API.SendText(admin, "/revoke"))
	list := r.WaitText(admin.ID, "Cán bộ đang có quyền")
	if !strings.Contains(list.RawText, fmt.Sprintf("#%d Chị &lt;Lan&gt; – tư vấn viên", lanID)) {
		t.Errorf("the list: %q", list.RawText)
	}
	tests := []struct{ send, want string }{
		{fmt.Sprintf("/revoke %d", lanID), fmt.Sprintf("/revoke %d ok", lanID)}, // asks first
		{fmt.Sprintf("/revoke %d thôi", lanID), fmt.Sprintf("/revoke %d ok", lanID)},
		{fmt.Sprintf("/revoke %d ok", adminID), "không thể tự thu hồi"},
		{"/revoke 9999 ok", "Không có cán bộ #9999"},
	}
	for _, tt := range tests {
		r.WaitSeen(r.API.SendText(admin, tt.send))
		r.WaitText(admin.ID, tt.want)
		if !active(lanID) || !active(adminID) {
			t.Fatalf("%q revoked someone", tt.send)
		}
	}
	r.WaitSeen(r.API.SendText(admin, fmt.Sprintf("/revoke #%d Xác nhận", lanID)))
	r.WaitText(admin.ID, "1 hồ sơ họ đang nhận đã trở lại hàng chờ")
	var status string
	if err := r.X.Get(&status, `SELECT status FROM cases WHERE assignee_staff_id IS NULL`); err != nil || status != "new" {
		t.Errorf("the case she had taken: %q (%v), want back in the queue", status, err)
	}
	if active(lanID) || audited("staff_revoke") != 1 {
		t.Errorf("after confirming: Lan active %v, staff_revoke rows %d", active(lanID), audited("staff_revoke"))
	}
	r.WaitSeen(r.API.SendText(lan, "/queue"))
	r.WaitText(lan.ID, "chưa hiểu lệnh này") // no longer staff
	r.WaitSeen(r.API.SendText(admin, fmt.Sprintf("/revoke %d ok", lanID)))
	r.WaitText(admin.ID, fmt.Sprintf("Không có cán bộ #%d", lanID))
}
