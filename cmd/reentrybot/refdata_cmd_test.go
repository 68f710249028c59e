package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"reentrybot/dbtest"
)

func TestImportExportCommands(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t)}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// The migrations put the built-in list in: importing it changes nothing.
	code, out, errOut := runCmd(t, env, "import", "communes")
	if code != 0 || !strings.Contains(out, "communes: 0 added, 0 changed, 99 unchanged") {
		t.Fatalf("import communes: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCmd(t, env, "import", "communes"); code != 0 || !strings.Contains(out, "0 added, 0 changed, 99 unchanged") {
		t.Fatalf("second import: %d %q", code, out)
	}
	exported := filepath.Join(dir, "communes.csv")
	if code, out, _ := runCmd(t, env, "export", "communes", exported); code != 0 || !strings.Contains(out, "99 rows written") {
		t.Fatalf("export: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, env, "import", "communes", exported, "--retire-missing"); code != 0 || !strings.Contains(out, "99 unchanged") || strings.Contains(out, "retired") {
		t.Fatalf("round trip: %d %q", code, out)
	}

	// A bad row: the line and the field, and nothing written.
	bad := write("courses.csv", "code,trade,title,provider,commune_code,start_date,length_value,length_unit,seats_total,enrol_deadline\n"+
		"K1,garment,May,Trường A,07210,2026-12-14,8,week,25,2026-12-07\n"+
		"K2,astronaut,Bay,Trường A,07210,2026-12-14,8,week,25,2026-12-07\n")
	code, _, errOut = runCmd(t, env, "import", "courses", bad)
	if code != 1 || !strings.Contains(errOut, "line 3, field trade") || !strings.Contains(errOut, "nothing was written") || !strings.Contains(errOut, "courses.csv") {
		t.Fatalf("bad courses: %d %q", code, errOut)
	}
	good := write("courses2.csv", "code,trade,title,provider,commune_code,start_date,length_value,length_unit,seats_total,enrol_deadline\n"+
		"K1,garment,May,Trường A,07210,2026-12-14,8,week,25,2026-12-07\n")
	if code, out, _ := runCmd(t, env, "import", "courses", good); code != 0 || !strings.Contains(out, "courses: 1 added") {
		t.Fatalf("courses: %d %q", code, out)
	}
	if code, out, _ := runCmd(t, env, "export", "courses"); code != 0 || !strings.HasPrefix(out, "\ufeffcode,trade,title,") || !strings.Contains(out, "K1,garment,May") {
		t.Fatalf("export courses to stdout: %d %q", code, out)
	}
	days := write("days.csv", "commune_code,day,place,starts_at,ends_at,capacity\n07840,2026-12-08,UBND xã Hiệp Hoà,07:30,11:00,20\n")
	if code, out, _ := runCmd(t, env, "import", "loan-days", days); code != 0 || !strings.Contains(out, "loan-days: 1 added") {
		t.Fatalf("loan days: %d %q", code, out)
	}
	staff := write("staff.csv", "role,communes,display_name\ncounsellor,all,Chị Lan (TTDVVL)\nofficer,07840 07339,Anh Tú\n")
	code, out, errOut = runCmd(t, env, "import", "staff", staff, "--bot", "reentry_test_bot")
	if code != 0 || strings.Count(out, "https://t.me/reentry_test_bot?start=s_") != 2 || !strings.Contains(out, "Anh Tú (officer, 07840,07339)") {
		t.Fatalf("staff: %d %q %q", code, out, errOut)
	}
	badStaff := write("staff2.csv", "role,communes,display_name\nofficer,all,Chị Mai\n")
	if code, _, errOut := runCmd(t, env, "import", "staff", badStaff, "--bot", "x"); code != 1 || !strings.Contains(errOut, "line 2, field communes") {
		t.Fatalf("bad staff: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"import"}, {"import", "courses"}, {"import", "planets", "x.csv"}, {"export", "planets"}} {
		if code, _, _ := runCmd(t, env, args...); code == 0 {
			t.Errorf("%v succeeded", args)
		}
	}
	if code, out, _ := runCmd(t, nil, "import", "--help"); code != 0 || !strings.Contains(out, "retire-missing") {
		t.Errorf("import --help: %d %q", code, out)
	}
}
