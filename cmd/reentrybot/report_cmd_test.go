package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestReportAndRetentionCommands(t *testing.T) {
	env, x := communesDB(t, map[string]string{"RETENTION_MONTHS": ""})
	if _, err := x.Exec(`
WITH p AS (INSERT INTO people (external_id, chat_ref, commune_code, created_at, last_seen_at, full_name)
           VALUES ('1', '1', '07840', '2026-11-03 09:00+07', '2020-01-01', 'Ai đó') RETURNING id)
INSERT INTO cases (person_id, kind, commune_code, opened_at) SELECT id, 'job', '07840', '2026-11-03 09:00+07' FROM p`); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCmd(t, env, "report", "--month", "2026-11", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "\ufeffMã,Xã/phường,Đăng ký mới,") || !strings.Contains(out, ",Toàn tỉnh,1,1,1,") {
		t.Fatalf("csv report: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(out, "07840,Hiệp Hòa,< 5,< 5,") {
		t.Errorf("Hiệp Hòa's line should hide its 1 registration and 1 case")
	}
	dir := t.TempDir()
	book, chart := filepath.Join(dir, "r.xlsx"), filepath.Join(dir, "r.png")
	code, out, errOut = runCmd(t, env, "report", "--month", "2026-11", "--out", book, "--chart", chart, "--lang", "en")
	if code != 0 || !strings.Contains(out, "written to "+book) {
		t.Fatalf("xlsx report: %d %q %q", code, out, errOut)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.GetCellValue(f.GetSheetList()[0], "B5"); v != "Commune" {
		t.Errorf("B5 = %q", v)
	}
	f.Close()
	b, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	// Officers' view: their communes only, no province line.
	if code, out, _ := runCmd(t, env, "report", "--month", "2026-11", "--format", "csv", "--communes", "07840"); code != 0 || strings.Count(out, "\n") != 2 || strings.Contains(out, "Toàn tỉnh") {
		t.Errorf("officer's report: %d %q", code, out)
	}
	for _, args := range [][]string{{"report", "--month", "11/2026"}, {"report", "--format", "pdf"}, {"report", "--communes", "x"}} {
		if code, _, _ := runCmd(t, env, args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}

	// Retention: the person was last seen in 2020.
	if code, out, _ := runCmd(t, env, "retention", "--dry-run"); code != 0 || !strings.Contains(out, "would erase the data of 1 people") {
		t.Fatalf("dry run: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, env, "retention"); code != 0 || !strings.Contains(out, "erased the data of 1 people") {
		t.Fatalf("retention: %d %q", code, out)
	}
	var left int
	if err := x.Get(&left, `SELECT count(*) FROM people WHERE full_name IS NOT NULL`); err != nil || left != 0 {
		t.Errorf("%d named people left (%v)", left, err)
	}
	if code, _, errOut := runCmd(t, map[string]string{"DATABASE_URL": env["DATABASE_URL"], "RETENTION_MONTHS": "never"}, "retention"); code != 1 || !strings.Contains(errOut, "RETENTION_MONTHS") {
		t.Errorf("bad RETENTION_MONTHS: %d %q", code, errOut)
	}
}
