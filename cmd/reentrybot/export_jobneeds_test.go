package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The job needs of November 2026 in Vietnam from testdata/jobneeds-2026-11.sql,
// worked out by hand: three needs (Hiệp Hòa 07840: An's of 3 November and
// Bình's of 30 November late in the evening; Tân Yên 07339: Dũng's), sorted
// by commune then date; one without work now, one in casual work, one who
// did not say; two priority groups, both An's. Left out: Cường's need of
// 1 December 00:30 in Vietnam (30 November in UTC), Em's of October,
// Dũng's course request and an erased person's need. Typed text that a
// spreadsheet would run as a formula (a cell starting with "=") is quoted. The workbook holds the
// same cells as the CSV.
func TestExportJobNeeds(t *testing.T) {
	env, x := communesDB(t, map[string]string{"TIME_ZONE": "Asia/Ho_Chi_Minh"})
	fixture, err := os.ReadFile("testdata/jobneeds-2026-11.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Exec(string(fixture)); err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"STT", "Họ và tên", "Năm sinh", "Giới tính", "Số điện thoại", "Mã xã", "Xã/phường", "Trình độ giáo dục phổ thông",
			"Trình độ chuyên môn kỹ thuật", "Tình trạng việc làm", "Công việc mong muốn", "Nơi làm việc mong muốn",
			"Hình thức làm việc", "Mức lương mong muốn (tháng)", "Thời gian có thể bắt đầu", "Đi làm việc ở nước ngoài",
			"Đối tượng ưu tiên", "Ngày đăng ký", "Số yêu cầu"},
		{"1", "Phạm Văn Dũng", "1978", "Nam", "0912345604", "07339", "Tân Yên", "Tiểu học",
			"Chưa học nghề", "Làm thời vụ, không ổn định", "Công nhân nhà máy", "Trong tỉnh", "Cả ngày", "Thỏa thuận", "Ngay", "Không",
			"", "10/11/2026", "4"},
		{"2", "Lê Văn An", "1990", "Nam", "0912345601", "07840", "Hiệp Hòa", "THCS (lớp 9)",
			"Chứng chỉ nghề dưới 3 tháng", "Chưa có việc làm", "May mặc; Công nhân nhà máy; =bốc xếp", "Trong tỉnh", "Cả ngày",
			"5–7 triệu đ", "Ngay", "Muốn tìm hiểu thêm", "Người khuyết tật; Hộ nghèo", "03/11/2026", "1"},
		{"3", "Trần Thị Bình", "1985", "Nữ", "0912345602", "07840", "Hiệp Hòa", "THPT (lớp 12)",
			"", "", "'=1+1", "Tại xã/phường của tôi", "Bán thời gian", "", "Trong 1 tháng", "", "", "30/11/2026", "2"},
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
	sameTable(t, "csv", recs, want)

	book := filepath.Join(t.TempDir(), "nhu-cau.xlsx")
	if code, _, errOut := runCmd(t, env, "export", "job-needs", "--month", "2026-11", book); code != 0 {
		t.Fatalf("export xlsx: %d %q", code, errOut)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cells, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	for i := range cells { // GetRows drops a row's empty cells at its end
		cells[i] = append(cells[i], make([]string, max(0, len(want[0])-len(cells[i])))...)
	}
	sameTable(t, "xlsx", cells, want)
	if typ, err := f.GetCellType(f.GetSheetName(0), "F2"); err != nil || typ == excelize.CellTypeNumber {
		t.Errorf("commune code cell: %v %v, want text (leading zero)", typ, err)
	}

	// Figures counted from the file, against the hand count above.
	counts := map[string]int{}
	for _, r := range recs[1:] {
		counts["commune "+r[5]]++
		counts["status "+r[9]]++
		if r[16] != "" {
			counts["priority groups"] += len(strings.Split(r[16], "; "))
		}
	}
	for k, n := range map[string]int{"commune 07840": 2, "commune 07339": 1, "status Chưa có việc làm": 1,
		"status Làm thời vụ, không ổn định": 1, "status ": 1, "priority groups": 2} {
		if counts[k] != n {
			t.Errorf("%s: %d, want %d", k, counts[k], n)
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
	if strings.Join(audits, "|") != "job-needs 2026-11 province: 3 rows|job-needs 2026-11 province: 3 rows|job-needs 2026-11 07840: 2 rows" {
		t.Errorf("audit log: %q", audits)
	}
	for _, args := range [][]string{{"export", "job-needs"}, {"export", "job-needs", "--month", "11/2026"}, {"export", "job-needs", "--month", "2026-11", "--commune", "x"}} {
		if code, _, _ := runCmd(t, env, args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
}

// sameTable compares an export's rows with the hand-made table.
func sameTable(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d lines, want %d: %q", what, len(got), len(want), got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("%s line %d\n got %q\nwant %q", what, i+1, got[i], want[i])
		}
	}
}
