package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The bank's list for Hiệp Hòa's loan day of 8 December 2026: the two
// booked appointments, oldest booking first, spelled out; not the
// cancelled one, nor another commune's, nor an erased person's. The file
// prints on A4 landscape and the export is audited.
func TestExportAppointments(t *testing.T) {
	env, x := communesDB(t, map[string]string{"TIME_ZONE": "Asia/Ho_Chi_Minh"})
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := x.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO loan_days (id, commune_code, day, place, starts_at, ends_at, capacity) VALUES
  (1, '07840', '2026-12-08', 'Trụ sở UBND xã Hiệp Hòa', '07:30', '11:00', 10),
  (2, '07339', '2026-12-08', 'UBND xã Tân Yên', '07:30', '11:00', 10)`)
	for _, p := range []struct {
		id, name, phone, booked, status string
		day                             int
		erased                          bool
		answers                         string
	}{
		{"1", "Lê Văn An", "+84912345601", "2026-12-02 09:00+07", "booked", 1, false, `{"purpose":"business","amount":"30to50"}`},
		{"2", "Trần Thị Bình", "+84912345602", "2026-12-01 15:00+07", "booked", 1, false, `{"purpose":"study","amount":"lt2m"}`},
		{"3", "Ngô Văn Cường", "+84912345603", "2026-12-01 10:00+07", "cancelled", 1, false, `{}`},
		{"4", "Phạm Văn Dũng", "+84912345604", "2026-12-01 11:00+07", "booked", 2, false, `{}`},
		{"5", "", "", "2026-12-01 12:00+07", "booked", 1, true, `{}`},
	} {
		exec(`INSERT INTO people (id, external_id, chat_ref, full_name, birth_year, phone, commune_code, erased_at)
VALUES ($1::bigint, $1, $1, NULLIF($2, ''), 1990, NULLIF($3, ''), '07840', CASE WHEN $4 THEN TIMESTAMPTZ '2026-12-03' END)`, p.id, p.name, p.phone, p.erased)
		exec(`INSERT INTO appointments (id, loan_day_id, person_id, status, created_at) VALUES ($1::bigint, $2, $1::bigint, $3, $4)`, p.id, p.day, p.status, p.booked)
		exec(`INSERT INTO cases (id, person_id, kind, commune_code, answers, appointment_id) VALUES ($1::bigint, $1::bigint, 'loan', '07840', $2, $1::bigint)`, p.id, p.answers)
	}

	out := filepath.Join(t.TempDir(), "ngan-hang.xlsx")
	if code, _, errOut := runCmd(t, env, "export", "appointments", "--day", "2026-12-08", "--commune", "07840", out); code != 0 {
		t.Fatalf("export: %d %q", code, errOut)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || !strings.Contains(rows[0][0], "Hiệp Hòa") || !strings.Contains(rows[0][0], "08/12/2026") || !strings.Contains(rows[0][0], "(2 người)") {
		t.Fatalf("sheet: %q", rows)
	}
	want := [][]string{
		{"1", "Trần Thị Bình", "1990", "0912345602", "07:30–11:00", "Đi học nghề", "Dưới 2 triệu đ mỗi tháng", "2", "01/12/2026 15:00"},
		{"2", "Lê Văn An", "1990", "0912345601", "07:30–11:00", "Làm ăn, kinh doanh", "30–50 triệu đ", "1", "02/12/2026 09:00"},
	}
	for i, w := range want {
		if got := strings.Join(rows[3+i], "|"); got != strings.Join(w, "|") {
			t.Errorf("row %d\n got %s\nwant %s", i+1, got, strings.Join(w, "|"))
		}
	}
	layout, err := f.GetPageLayout(sheet)
	if err != nil || layout.Size == nil || *layout.Size != 9 || layout.Orientation == nil || *layout.Orientation != "landscape" {
		t.Errorf("page layout %+v (%v), want A4 landscape", layout, err)
	}
	var audited string
	if err := x.Get(&audited, `SELECT detail FROM audit_log WHERE action = 'export_appointments'`); err != nil || audited != "appointments 2026-12-08 07840: 2 rows" {
		t.Errorf("audit %q (%v)", audited, err)
	}
	if code, _, errOut := runCmd(t, env, "export", "appointments", "--day", "2026-12-08", out); code == 0 || !strings.Contains(errOut, "--commune") {
		t.Errorf("without --commune: %d %q", code, errOut)
	}
}
