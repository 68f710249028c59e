package refdata_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"reentrybot/dbtest"
	"reentrybot/flows"
	"reentrybot/refdata"
	"reentrybot/store"
)

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.X.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func wantProblem(t *testing.T, err error, want string) {
	t.Helper()
	var ps refdata.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want problems naming %q, got %v", want, err)
	}
	if !strings.Contains(ps.Error(), want) || !strings.Contains(ps.Error(), "nothing was written") {
		t.Fatalf("problems %q do not name %q", ps.Error(), want)
	}
}

func importCommunes(t *testing.T, db *store.DB) refdata.Result {
	t.Helper()
	recs, err := refdata.EmbeddedCommunes()
	if err != nil {
		t.Fatal(err)
	}
	res, err := refdata.ImportCommunes(context.Background(), db, recs, false)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// noCommunes empties the communes the migrations seed, for the tests that
// start from a database without them.
func noCommunes(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.X.Exec(`DELETE FROM former_communes; DELETE FROM communes`); err != nil {
		t.Fatal(err)
	}
}

func TestImportCommunes(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	noCommunes(t, db)

	// A bad row names its line and field, and nothing is written.
	_, err := refdata.ParseCommuneFile(open(t, "communes-bad.csv"))
	wantProblem(t, err, "line 4, field type")
	if n := count(t, db, `SELECT count(*) FROM communes`); n != 0 {
		t.Fatalf("%d communes written", n)
	}

	if res := importCommunes(t, db); res != (refdata.Result{Added: 99}) {
		t.Fatalf("first import: %v", res)
	}
	// Twice: nothing changes.
	if res := importCommunes(t, db); res != (refdata.Result{Unchanged: 99}) {
		t.Fatalf("second import: %v", res)
	}
	// The tone mark on another vowel is the same name: no change, and the
	// stored spelling stays.
	tone := "code,name,full_name,type,province_code\n" +
		"07840,Hiệp Hoà,\"Xã Hiệp Hoà, Tỉnh Bắc Ninh\",commune,24\n" +
		"07738,Cảnh Thuỵ,\"Phường Cảnh Thuỵ, Tỉnh Bắc Ninh\",ward,24\n"
	recs, err := refdata.ParseCommuneFile(strings.NewReader(tone))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := refdata.ImportCommunes(ctx, db, recs, false); err != nil || res != (refdata.Result{Unchanged: 2}) {
		t.Fatalf("other tone-mark placement: %v %v", res, err)
	}
	if n := count(t, db, `SELECT count(*) FROM communes WHERE name IN ('Hiệp Hòa', 'Cảnh Thụy')`); n != 2 {
		t.Errorf("stored spellings changed: %d left", n)
	}
	// Export → import round-trips, and exports the same file again.
	var first bytes.Buffer
	if n, err := refdata.ExportCommunes(ctx, db, &first); err != nil || n != 99 {
		t.Fatalf("export: %d %v", n, err)
	}
	if !bytes.HasPrefix(first.Bytes(), []byte("\ufeffcode,")) {
		t.Fatalf("export does not start with a UTF-8 byte-order mark and the header (Excel needs the mark): %q", first.Bytes()[:12])
	}
	recs, err = refdata.ParseCommuneFile(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := refdata.ImportCommunes(ctx, db, recs, false); err != nil || res != (refdata.Result{Unchanged: 99}) {
		t.Fatalf("re-import of the export: %v %v", res, err)
	}
	var second bytes.Buffer
	if _, err := refdata.ExportCommunes(ctx, db, &second); err != nil || second.String() != first.String() {
		t.Fatalf("second export differs (%v)", err)
	}

	// A person living in Hiệp Hòa; the commune is retired in the file
	// (active=false): it stays, the person keeps the code, searches skip it.
	if _, err := db.X.Exec(`INSERT INTO people (external_id, chat_ref, commune_code) VALUES ('7', '7', '07840')`); err != nil {
		t.Fatal(err)
	}
	retire := "code,name,full_name,type,province_code,active\n" +
		"07840,Hiệp Hòa,\"Xã Hiệp Hòa, Tỉnh Bắc Ninh\",commune,24,false\n" +
		"07210,Bắc Giang,\"Phường Bắc Giang, Tỉnh Bắc Ninh\",ward,24,true\n"
	recs, err = refdata.ParseCommuneFile(strings.NewReader(retire))
	if err != nil {
		t.Fatal(err)
	}
	res, err := refdata.ImportCommunes(ctx, db, recs, false)
	if err != nil || res != (refdata.Result{Changed: 1, Unchanged: 1}) {
		t.Fatalf("retiring one: %v %v", res, err)
	}
	// --retire-missing: every commune absent from the file is retired.
	res, err = refdata.ImportCommunes(ctx, db, recs, true)
	if err != nil || res != (refdata.Result{Unchanged: 2, Retired: 97}) {
		t.Fatalf("retire missing: %v %v", res, err)
	}
	if n := count(t, db, `SELECT count(*) FROM communes`); n != 99 {
		t.Errorf("%d communes left, want all 99 kept", n)
	}
	if n := count(t, db, `SELECT count(*) FROM communes WHERE active`); n != 1 {
		t.Errorf("%d active communes, want 1", n)
	}
	if n := count(t, db, `SELECT count(*) FROM people WHERE commune_code = '07840'`); n != 1 {
		t.Errorf("the person lost their commune")
	}
	// Bringing them back.
	if res := importCommunes(t, db); res.Changed != 98 || res.Unchanged != 1 {
		t.Errorf("reactivating: %v", res)
	}
}

func TestParseProblems(t *testing.T) {
	head := "code,trade,title,provider,commune_code,start_date,length_value,length_unit,seats_total,enrol_deadline\n"
	good := "K1,garment,May,Trường A,07210,2026-12-14,8,week,25,2026-12-07\n"
	bad := map[string]string{
		"line 3, field trade":          good + "K2,pilot,Bay,Trường A,07210,2026-12-14,8,week,25,2026-12-07\n",
		"line 2, field start_date":     "K1,garment,May,Trường A,07210,14/12/2026,8,week,25,2026-12-07\n",
		"line 2, field enrol_deadline": "K1,garment,May,Trường A,07210,2026-12-14,8,week,25,2026-12-20\n",
		"line 3, field code":           good + good,
		"line 2, field seats_total":    "K1,garment,May,Trường A,07210,2026-12-14,8,week,25 chỗ,2026-12-07\n",
		"line 2, field length_unit":    "K1,garment,May,Trường A,07210,2026-12-14,8,month,25,2026-12-07\n",
		"line 2: 9 fields":             "K1,garment,May,Trường A,07210,2026-12-14,8,week,25\n",
	}
	for want, body := range bad {
		_, err := refdata.ParseCourseFile(strings.NewReader(head + body))
		wantProblem(t, err, want)
	}
	_, err := refdata.ParseCourseFile(strings.NewReader("code,trade,title\nK1,garment,May\n"))
	wantProblem(t, err, "line 1, field provider: column missing")
	// Support is per learner group: the old single figure is refused with
	// the reason, and a group's figure is checked like any number.
	withCol := func(col, val string) string {
		return strings.TrimSuffix(head, "\n") + "," + col + "\n" + strings.TrimSuffix(good, "\n") + "," + val + "\n"
	}
	_, err = refdata.ParseCourseFile(strings.NewReader(withCol("support_vnd", "3000000")))
	wantProblem(t, err, "line 2, field support_vnd: one figure for every learner is no longer read")
	_, err = refdata.ParseCourseFile(strings.NewReader(withCol("support_poor_vnd", "-5")))
	wantProblem(t, err, "line 2, field support_poor_vnd")
	_, err = refdata.ParseCourseFile(strings.NewReader(withCol("support_poor_vnd", "3.000.000")))
	wantProblem(t, err, "line 2, field support_poor_vnd")
	_, err = refdata.ParseLoanDayFile(strings.NewReader("commune_code,day,place,starts_at,ends_at,capacity\n07840,2026-12-08,UBND,11:00,07:30,20\n"))
	wantProblem(t, err, "line 2, field ends_at")
	_, err = refdata.ParseCommuneFile(strings.NewReader("code,name,full_name,type,province_code,colour\n"))
	wantProblem(t, err, "line 1, field colour: unknown column")
}

func TestImportCourses(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	noCommunes(t, db)

	// Before the communes: the first row's commune is unknown, nothing is
	// written.
	recs, err := refdata.ParseCourseFile(open(t, "courses.csv"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = refdata.ImportCourses(ctx, db, recs, false)
	wantProblem(t, err, "line 3, field commune_code: no commune 07210")
	if n := count(t, db, `SELECT count(*) FROM courses`); n != 0 {
		t.Fatalf("%d courses written", n)
	}

	importCommunes(t, db)
	if res, err := refdata.ImportCourses(ctx, db, recs, false); err != nil || res != (refdata.Result{Added: 3}) {
		t.Fatalf("first import: %v %v", res, err)
	}
	if res, err := refdata.ImportCourses(ctx, db, recs, false); err != nil || res != (refdata.Result{Unchanged: 3}) {
		t.Fatalf("second import: %v %v", res, err)
	}
	// Seats taken are the counsellors': an import leaves them.
	if _, err := db.X.Exec(`UPDATE courses SET seats_taken = 4 WHERE code = 'BN-MAY-2026-12'`); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := refdata.ExportCourses(ctx, db, &out); err != nil {
		t.Fatal(err)
	}
	back, err := refdata.ParseCourseFile(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("export does not parse: %v\n%s", err, out.String())
	}
	if res, err := refdata.ImportCourses(ctx, db, back, false); err != nil || res != (refdata.Result{Unchanged: 3}) {
		t.Fatalf("round trip: %v %v", res, err)
	}
	var ethnic, other int64
	if err := db.X.QueryRow(`SELECT support_ethnic_minority_vnd, support_other_vnd FROM courses WHERE code = 'BN-MAY-2026-12'`).Scan(&ethnic, &other); err != nil || ethnic != 3_000_000 || other != 0 {
		t.Errorf("group support %d, other %d (%v); want 3000000, 0", ethnic, other, err)
	}
	if !strings.Contains(out.String(), ",true,3500000,3500000,3000000,3000000,2500000,\r\n") && !strings.Contains(out.String(), ",true,3500000,3500000,3000000,3000000,2500000,\n") {
		t.Errorf("export does not write a group without a figure as an empty cell:\n%s", out.String())
	}
	// A changed group figure is a change.
	changed := slices.Clone(back)
	sup := changed[0].Support()
	sup[len(sup)-1] = 1_500_000
	changed[0].SetSupport(sup)
	if res, err := refdata.ImportCourses(ctx, db, changed, false); err != nil || res != (refdata.Result{Changed: 1, Unchanged: 2}) {
		t.Fatalf("changed figure: %v %v", res, err)
	}
	if res, err := refdata.ImportCourses(ctx, db, back, false); err != nil || res.Changed != 1 {
		t.Fatalf("figure back: %v %v", res, err)
	}
	var title string
	var taken int
	if err := db.X.QueryRow(`SELECT title, seats_taken FROM courses WHERE code = 'BN-HAN-2026-12'`).Scan(&title, &taken); err != nil || title != "Hàn điện cơ bản, ca tối" {
		t.Errorf("title %q %v", title, err)
	}
	if err := db.X.Get(&taken, `SELECT seats_taken FROM courses WHERE code = 'BN-MAY-2026-12'`); err != nil || taken != 4 {
		t.Errorf("seats taken %d %v", taken, err)
	}

	// A sample course gets an automatic code and can be exported and
	// re-imported as a real one.
	c := back[0]
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertCourse(ctx, flows.Course{Trade: c.Trade, Title: "Mẫu", Provider: c.Provider, CommuneCode: c.CommuneCode,
			StartDate: c.StartDate, LengthValue: 1, LengthUnit: "day", SeatsTotal: 5, EnrolDeadline: c.EnrolDeadline, Active: true, Sample: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM courses WHERE code LIKE 'auto-%'`); n != 1 {
		t.Errorf("%d courses with an automatic code, want 1", n)
	}
	// --retire-missing: a file with one course retires the others (the
	// third was inactive already).
	if res, err := refdata.ImportCourses(ctx, db, back[:1], true); err != nil || res != (refdata.Result{Unchanged: 1, Retired: 2}) {
		t.Errorf("retire missing: %v %v", res, err)
	}
}

func TestImportLoanDays(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	importCommunes(t, db)
	recs, err := refdata.ParseLoanDayFile(open(t, "loan-days.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if recs[0].StartsAt != "07:30" {
		t.Errorf("7:30 read as %q", recs[0].StartsAt)
	}
	if res, err := refdata.ImportLoanDays(ctx, db, recs); err != nil || res != (refdata.Result{Added: 3}) {
		t.Fatalf("first import: %v %v", res, err)
	}
	if res, err := refdata.ImportLoanDays(ctx, db, recs); err != nil || res != (refdata.Result{Unchanged: 3}) {
		t.Fatalf("second import: %v %v", res, err)
	}
	var out bytes.Buffer
	if _, err := refdata.ExportLoanDays(ctx, db, &out); err != nil {
		t.Fatal(err)
	}
	back, err := refdata.ParseLoanDayFile(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := refdata.ImportLoanDays(ctx, db, back); err != nil || res != (refdata.Result{Unchanged: 3}) {
		t.Fatalf("round trip: %v %v\n%s", res, err, out.String())
	}

	// Two places booked on the 8 December day: its capacity may not drop
	// to one; the other rows of that file are not written either.
	var day int64
	if err := db.X.Get(&day, `SELECT id FROM loan_days WHERE commune_code = '07840' AND day = '2026-12-08'`); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := db.X.Exec(`WITH p AS (INSERT INTO people (external_id, chat_ref) VALUES ($1, $1) RETURNING id)
			INSERT INTO appointments (loan_day_id, person_id) SELECT $2, id FROM p`, "p"+string(rune('0'+i)), day); err != nil {
			t.Fatal(err)
		}
	}
	lower := "commune_code,day,place,starts_at,ends_at,capacity\n" +
		"07339,2026-12-09,Nhà văn hoá,13:30,16:30,12\n" +
		"07840,2026-12-08,Trụ sở UBND xã Hiệp Hoà,07:30,11:00,1\n"
	recs, err = refdata.ParseLoanDayFile(strings.NewReader(lower))
	if err != nil {
		t.Fatal(err)
	}
	_, err = refdata.ImportLoanDays(ctx, db, recs)
	wantProblem(t, err, "line 3, field capacity: 1 is below the 2 places already booked")
	if n := count(t, db, `SELECT count(*) FROM loan_days WHERE capacity = 12`); n != 0 {
		t.Error("a row of the refused file was written")
	}
}
