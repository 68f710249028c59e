package ops_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"reentrybot/bot/bottest"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// An admin's /report sends the workbook and the chart; an officer gets
// their communes'; a counsellor is refused; a returnee's /report is an
// unknown command. /audit reads the log by case, staff member and day,
// for admins only.
func TestReportAndAudit(t *testing.T) {
	r := bottest.New(t, bottest.WithFastLimits())
	r.LoadCommunes()
	r.Run()
	for i, at := range []string{"2026-11-03 09:00+07", "2026-11-04 09:00+07"} {
		if _, err := r.X.Exec(`WITH p AS (INSERT INTO people (external_id, chat_ref, commune_code, created_at) VALUES ($1, $1, '07840', $2) RETURNING id)
			INSERT INTO cases (person_id, kind, commune_code, opened_at) SELECT id, 'job', '07840', $2 FROM p`, fmt.Sprint(500+i), at); err != nil {
			t.Fatal(err)
		}
	}
	admin := r.StaffAccount(store.RoleAdmin, nil, "Quản trị")
	counsellor := r.StaffAccount(store.RoleCounsellor, nil, "Chị Lan")
	officer := r.StaffAccount(store.RoleOfficer, []string{"07840"}, "Anh Tú (xã Hiệp Hoà)")
	returnee := r.API.NewUser("Hoa", "vi")

	r.WaitSeen(r.API.SendText(admin, "/report 2026-11"))
	r.WaitFor("the workbook and the chart", func() bool {
		return len(r.Files(admin.ID, "document")) == 1 && len(r.Files(admin.ID, "photo")) == 1
	})
	doc, pic := r.Files(admin.ID, "document")[0], r.Files(admin.ID, "photo")[0]
	if doc.FileName != "bao-cao-2026-11.xlsx" || doc.FileSize < 2000 || !strings.Contains(doc.Caption, "toàn tỉnh") {
		t.Errorf("workbook %q, %d bytes, caption %q", doc.FileName, doc.FileSize, doc.Caption)
	}
	if pic.FileSize < 2000 || !strings.Contains(pic.Caption, "11/2026") {
		t.Errorf("chart %d bytes, caption %q", pic.FileSize, pic.Caption)
	}

	r.WaitSeen(r.API.SendText(officer, "/report 2026-11"))
	r.WaitFor("the officer's workbook", func() bool { return len(r.Files(officer.ID, "document")) == 1 })
	if c := r.Files(officer.ID, "document")[0].Caption; !strings.Contains(c, "1 xã/phường") {
		t.Errorf("officer's caption %q", c)
	}
	r.WaitSeen(r.API.SendText(counsellor, "/report"))
	r.WaitText(counsellor.ID, "Chỉ quản trị viên và cán bộ xã")
	r.WaitSeen(r.API.SendText(admin, "/report 11/2026"))
	r.WaitText(admin.ID, "/report 2026-11")
	r.WaitSeen(r.API.SendText(returnee, "/report"))
	r.WaitText(returnee.ID, "chưa hiểu lệnh này")

	// The counsellor looks at case 1: the admin sees it by case, by staff
	// member and by day.
	r.WaitSeen(r.API.SendText(counsellor, "/case 1"))
	var counsellorID int64
	if err := r.X.Get(&counsellorID, `SELECT id FROM staff WHERE display_name = 'Chị Lan'`); err != nil {
		t.Fatal(err)
	}
	r.WaitSeen(r.API.SendText(admin, "/audit case 1"))
	byCase := r.WaitText(admin.ID, "Nhật ký – hồ sơ #1")
	if !strings.Contains(byCase.Text, "view") || !strings.Contains(byCase.Text, "Chị Lan") {
		t.Errorf("by case: %q", byCase.Text)
	}
	r.WaitSeen(r.API.SendText(admin, fmt.Sprintf("/audit staff %d", counsellorID)))
	byStaff := r.WaitText(admin.ID, fmt.Sprintf("Nhật ký – cán bộ #%d", counsellorID))
	if !strings.Contains(byStaff.Text, "denied_report") || !strings.Contains(byStaff.Text, "#1") {
		t.Errorf("by staff: %q", byStaff.Text)
	}
	today := clock.System().In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02")
	r.WaitSeen(r.API.SendText(admin, "/audit day "+today))
	byDay := r.WaitText(admin.ID, "Nhật ký – ngày")
	for _, want := range []string{"report", "invite_redeemed", "denied_command"} {
		if !strings.Contains(byDay.Text, want) {
			t.Errorf("by day lacks %s: %q", want, byDay.Text)
		}
	}
	r.WaitSeen(r.API.SendText(admin, "/audit day 2020-01-01"))
	r.WaitText(admin.ID, "không có dòng nào")
	r.WaitSeen(r.API.SendText(admin, "/audit yesterday"))
	r.WaitText(admin.ID, "/audit case N")
	r.WaitSeen(r.API.SendText(counsellor, "/audit case 1"))
	r.WaitText(counsellor.ID, "Chỉ quản trị viên xem được")
	var views int
	if err := r.X.Get(&views, `SELECT count(*) FROM audit_log WHERE action = 'audit_view'`); err != nil || views != 4 {
		t.Errorf("%d audit views logged, want 4 (%v)", views, err)
	}
}
