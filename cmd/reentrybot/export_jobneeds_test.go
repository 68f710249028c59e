package main

import (
	"encoding/csv"
	"strings"
	"testing"
)

// The job needs of November 2026 in Vietnam, worked out by hand from the
// fixture: Hiệp Hòa (07840) has An's need of 3 November and Bình's of 30
// November late in the evening; Tân Yên (07339) has Dũng's. Left out: a
// need of 1 December 00:30 in Vietnam (still 30 November in UTC), one of
// October, Dũng's course request, and an erased person's need. Typed text
// that a spreadsheet would run as a formula is quoted.
func TestExportJobNeeds(t *testing.T) {
	env, x := communesDB(t, map[string]string{"TIME_ZONE": "Asia/Ho_Chi_Minh"})
	fixture := []struct {
		id, name, commune, kind, opened, answers string
		erased                                   bool
	}{
		{"1", "Lê Văn An", "07840", "job", "2026-11-03 09:00+07",
			`{"trades":["garment","factory"],"trades_other":"=bốc xếp","work_status":"none","qualification":"short","where":"province","hours":"full","wage":"5to7","start":"now","abroad":"maybe","priority":["disability","poor"],"barriers":["none"]}`, false},
		{"2", "Trần Thị Bình", "07840", "job", "2026-11-30 23:30+07",
			`{"trades":[],"trades_other":"=1+1","where":"own_commune","hours":"part","start":"month","barriers":["none"]}`, false},
		{"3", "Ngô Văn Cường", "07840", "job", "2026-12-01 00:30+07", `{"trades":["garment"]}`, false},
		{"4", "Phạm Văn Dũng", "07339", "job", "2026-11-10 14:00+07",
			`{"trades":["factory"],"work_status":"casual","qualification":"none","where":"province","hours":"full","wage":"any","start":"now","abroad":"no","barriers":["none"]}`, false},
		{"4", "", "07339", "course", "2026-11-11 10:00+07", `{}`, false},
		{"5", "Đỗ Văn Em", "07840", "job", "2026-10-20 10:00+07", `{"trades":["garment"]}`, false},
		{"6", "", "07840", "job", "2026-11-05 10:00+07", `{"trades":["garment"]}`, true},
	}
	for _, f := range fixture {
		if f.name != "" || f.erased {
			if _, err := x.Exec(`
INSERT INTO people (external_id, chat_ref, commune_code, created_at, last_seen_at, full_name, birth_year, gender, phone, education, erased_at)
VALUES ($1, $1, $2, '2026-10-01', '2026-11-20', NULLIF($3, ''), 1990, 'male', '+8491234560' || $1, 'lower_secondary',
        CASE WHEN $4 THEN TIMESTAMPTZ '2026-11-20' END)`, f.id, f.commune, f.name, f.erased); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := x.Exec(`
INSERT INTO cases (person_id, kind, commune_code, opened_at, answers)
SELECT id, $2, $3, $4, $5 FROM people WHERE external_id = $1`, f.id, f.kind, f.commune, f.opened, f.answers); err != nil {
			t.Fatal(err)
		}
	}

	code, out, errOut := runCmd(t, env, "export", "job-needs", "--month", "2026-11")
	if code != 0 {
		t.Fatalf("export: %d %q", code, errOut)
	}
	if !strings.HasPrefix(out, "\ufeff") {
		t.Fatalf("no byte-order mark: %q", out)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"STT", "Họ và tên", "Năm sinh", "Giới tính", "Số điện thoại", "Mã xã", "Xã/phường", "Trình độ giáo dục phổ thông",
			"Trình độ chuyên môn kỹ thuật", "Tình trạng việc làm", "Công việc mong muốn", "Nơi làm việc mong muốn",
			"Hình thức làm việc", "Mức lương mong muốn (tháng)", "Thời gian có thể bắt đầu", "Đi làm việc ở nước ngoài",
			"Đối tượng ưu tiên", "Ngày đăng ký", "Số yêu cầu"},
		{"1", "Phạm Văn Dũng", "1990", "Nam", "0912345604", "07339", "Tân Yên", "THCS (lớp 9)",
			"Chưa học nghề", "Làm thời vụ, không ổn định", "Công nhân nhà máy", "Trong tỉnh", "Cả ngày", "Thỏa thuận", "Ngay", "Không",
			"", "10/11/2026", "4"},
		{"2", "Lê Văn An", "1990", "Nam", "0912345601", "07840", "Hiệp Hòa", "THCS (lớp 9)",
			"Chứng chỉ nghề dưới 3 tháng", "Chưa có việc làm", "May mặc; Công nhân nhà máy; =bốc xếp", "Trong tỉnh", "Cả ngày",
			"5–7 triệu đ", "Ngay", "Muốn tìm hiểu thêm", "Người khuyết tật; Hộ nghèo", "03/11/2026", "1"},
		{"3", "Trần Thị Bình", "1990", "Nam", "0912345602", "07840", "Hiệp Hòa", "THCS (lớp 9)",
			"", "", "'=1+1", "Tại xã/phường của tôi", "Bán thời gian", "", "Trong 1 tháng", "", "", "30/11/2026", "2"},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(recs), len(want), out)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("line %d\n got %q\nwant %q", i+1, recs[i], want[i])
		}
	}

	// One commune: Hiệp Hòa's two needs, numbered from 1.
	code, out, _ = runCmd(t, env, "export", "job-needs", "--month", "2026-11", "--commune", "07840")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "\n1,Lê Văn An,") || strings.Contains(out, "Dũng") {
		t.Errorf("Hiệp Hòa's export: %d %q", code, out)
	}
	var audits []string
	if err := x.Select(&audits, `SELECT detail FROM audit_log WHERE action = 'export_job_needs' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(audits, "|") != "job-needs 2026-11 province: 3 rows|job-needs 2026-11 07840: 2 rows" {
		t.Errorf("audit log: %q", audits)
	}
	for _, args := range [][]string{{"export", "job-needs"}, {"export", "job-needs", "--month", "11/2026"}, {"export", "job-needs", "--month", "2026-11", "--commune", "x"}} {
		if code, _, _ := runCmd(t, env, args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
}
