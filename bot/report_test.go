package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/store"
)

func filesOf(r *rig, chat int64, kind string) []botapitest.Message {
	var out []botapitest.Message
	for _, m := range r.botMessages(chat) {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// An admin's /report sends the workbook and the chart; an officer gets
// their communes'; a counsellor is refused; a returnee's /report is an
// unknown command. /audit reads the log by case, staff member and day,
// for admins only.
func TestReportAndAudit(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadCommunes()
	r.run()
	for i, at := range []string{"2026-11-03 09:00+07", "2026-11-04 09:00+07"} {
		if _, err := r.x.Exec(`WITH p AS (INSERT INTO people (external_id, chat_ref, commune_code, created_at) VALUES ($1, $1, '07840', $2) RETURNING id)
			INSERT INTO cases (person_id, kind, commune_code, opened_at) SELECT id, 'job', '07840', $2 FROM p`, fmt.Sprint(500+i), at); err != nil {
			t.Fatal(err)
		}
	}
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	counsellor := r.staffAccount(store.RoleCounsellor, nil, "Chị Lan")
	officer := r.staffAccount(store.RoleOfficer, []string{"07840"}, "Anh Tú (xã Hiệp Hoà)")
	returnee := r.api.NewUser("Hoa", "vi")

	r.waitSeen(r.api.SendText(admin, "/report 2026-11"))
	r.waitFor("the workbook and the chart", func() bool {
		return len(filesOf(r, admin.ID, "document")) == 1 && len(filesOf(r, admin.ID, "photo")) == 1
	})
	doc, pic := filesOf(r, admin.ID, "document")[0], filesOf(r, admin.ID, "photo")[0]
	if doc.FileName != "bao-cao-2026-11.xlsx" || doc.FileSize < 2000 || !strings.Contains(doc.Caption, "toàn tỉnh") {
		t.Errorf("workbook %q, %d bytes, caption %q", doc.FileName, doc.FileSize, doc.Caption)
	}
	if pic.FileSize < 2000 || !strings.Contains(pic.Caption, "11/2026") {
		t.Errorf("chart %d bytes, caption %q", pic.FileSize, pic.Caption)
	}

	r.waitSeen(r.api.SendText(officer, "/report 2026-11"))
	r.waitFor("the officer's workbook", func() bool { return len(filesOf(r, officer.ID, "document")) == 1 })
	if c := filesOf(r, officer.ID, "document")[0].Caption; !strings.Contains(c, "1 xã/phường") {
		t.Errorf("officer's caption %q", c)
	}
	r.waitSeen(r.api.SendText(counsellor, "/report"))
	r.waitText(counsellor.ID, "Chỉ quản trị viên và cán bộ xã")
	r.waitSeen(r.api.SendText(admin, "/report 11/2026"))
	r.waitText(admin.ID, "/report 2026-11")
	r.waitSeen(r.api.SendText(returnee, "/report"))
	r.waitText(returnee.ID, "chưa hiểu lệnh này")

	// The counsellor looks at case 1: the admin sees it by case, by staff
	// member and by day.
	r.waitSeen(r.api.SendText(counsellor, "/case 1"))
	var counsellorID int64
	if err := r.x.Get(&counsellorID, `SELECT id FROM staff WHERE display_name = 'Chị Lan'`); err != nil {
		t.Fatal(err)
	}
	r.waitSeen(r.api.SendText(admin, "/audit case 1"))
	byCase := r.waitText(admin.ID, "Nhật ký – hồ sơ #1")
	if !strings.Contains(byCase.Text, "view") || !strings.Contains(byCase.Text, "Chị Lan") {
		t.Errorf("by case: %q", byCase.Text)
	}
	r.waitSeen(r.api.SendText(admin, fmt.Sprintf("/audit staff %d", counsellorID)))
	byStaff := r.waitText(admin.ID, fmt.Sprintf("Nhật ký – cán bộ #%d", counsellorID))
	if !strings.Contains(byStaff.Text, "denied_report") || !strings.Contains(byStaff.Text, "#1") {
		t.Errorf("by staff: %q", byStaff.Text)
	}
	today := clock.System().In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02")
	r.waitSeen(r.api.SendText(admin, "/audit day "+today))
	byDay := r.waitText(admin.ID, "Nhật ký – ngày")
	for _, want := range []string{"report", "invite_redeemed", "denied_command"} {
		if !strings.Contains(byDay.Text, want) {
			t.Errorf("by day lacks %s: %q", want, byDay.Text)
		}
	}
	r.waitSeen(r.api.SendText(admin, "/audit day 2020-01-01"))
	r.waitText(admin.ID, "không có dòng nào")
	r.waitSeen(r.api.SendText(admin, "/audit yesterday"))
	r.waitText(admin.ID, "/audit case N")
	r.waitSeen(r.api.SendText(counsellor, "/audit case 1"))
	r.waitText(counsellor.ID, "Chỉ quản trị viên xem được")
	var views int
	if err := r.x.Get(&views, `SELECT count(*) FROM audit_log WHERE action = 'audit_view'`); err != nil || views != 4 {
		t.Errorf("%d audit views logged, want 4 (%v)", views, err)
	}
}
