package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/i18n"
	"reentrybot/refdata"
	"reentrybot/report"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var hcm = func() *time.Location {
	l, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		panic(err)
	}
	return l
}()

const (
	hiepHoa  = "07840"
	tanYen   = "07339"
	bacGiang = "07210"
)

// seed writes the fixture month, November 2026, with SQL. Times carry
// their offset; +07 is Vietnam.
func seed(t *testing.T, x *sqlx.DB) {
	t.Helper()
	ctx := context.Background()
	db := &store.DB{X: x}
	if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := refdata.LoadCommunes(ctx, tx); return err }); err != nil {
		t.Fatal(err)
	}
	n := 0
	person := func(commune, created string) int64 {
		n++
		var id int64
		var c any
		if commune != "" {
			c = commune
		}
		if err := x.Get(&id, `INSERT INTO people (external_id, chat_ref, commune_code, created_at, full_name)
			VALUES ($1, $1, $2, $3, 'Người thử') RETURNING id`, fmt.Sprint(9000+n), c, created); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// Registrations: 6 in Hiệp Hoà (one just after midnight on 1 November,
	// Vietnam time), 2 in Tân Yên; not counted: 31 October 23:30, 1 December
	// 00:10 (still November in UTC), and one without a commune.
	for _, at := range []string{"2026-11-01 00:30+07", "2026-11-05 10:00+07", "2026-11-10 10:00+07",
		"2026-11-15 10:00+07", "2026-11-20 10:00+07", "2026-11-30 23:59+07"} {
		person(hiepHoa, at)
	}
	person(tanYen, "2026-11-03 08:00+07")
	person(tanYen, "2026-11-04 08:00+07")
	person(hiepHoa, "2026-10-31 23:30+07")
	person(hiepHoa, "2026-12-01 00:10+07")
	person("", "2026-11-12 08:00+07")

	type kase struct {
		commune, kind, opened, firstResp, closed, outcome string
		rating                                            int
		answers                                           string
	}
	cases := []kase{
		// Hiệp Hoà
		{hiepHoa, "job", "2026-11-02 09:00+07", "2026-11-02 11:00+07", "2026-11-10 09:00+07", "job_found", 5, `{"trades":["garment","factory"]}`},
		{hiepHoa, "job", "2026-11-03 09:00+07", "2026-11-03 13:00+07", "2026-11-12 09:00+07", "job_found", 4, `{"trades":["garment"],"trades_other":"thợ mộc"}`},
		{hiepHoa, "job", "2026-11-04 09:00+07", "2026-11-04 15:00+07", "", "", 0, `{"trades":["construction"]}`},
		{hiepHoa, "course", "2026-11-05 09:00+07", "2026-11-05 10:00+07", "2026-11-20 09:00+07", "enrolled", 5, `{}`},
		{hiepHoa, "course", "2026-11-06 09:00+07", "2026-11-06 19:00+07", "2026-11-21 09:00+07", "enrolled", 3, `{}`},
		{hiepHoa, "loan", "2026-11-07 09:00+07", "", "", "", 0, `{}`},
		{hiepHoa, "other", "2026-11-08 09:00+07", "2026-11-08 12:00+07", "2026-11-09 09:00+07", "referred_elsewhere", 4, `{}`},
		{hiepHoa, "job", "2026-10-20 09:00+07", "2026-10-20 10:00+07", "2026-11-05 09:00+07", "unreachable", 2, `{"trades":["farming"]}`},
		{hiepHoa, "job", "2026-11-30 23:30+07", "2026-12-01 01:30+07", "", "", 0, `{"trades":["driver"]}`},
		{hiepHoa, "job", "2026-12-01 00:30+07", "", "", "", 0, `{"trades":["driver"]}`},
		// Tân Yên
		{tanYen, "job", "2026-11-10 09:00+07", "2026-11-10 14:00+07", "2026-11-11 09:00+07", "no_longer_needed", 0, `{"trades":["sales"]}`},
		{tanYen, "loan", "2026-11-12 09:00+07", "2026-11-12 17:00+07", "", "", 0, `{}`},
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for _, c := range cases {
		p := person(c.commune, "2026-09-01 08:00+07")
		status := "new"
		if c.closed != "" {
			status = "closed"
		}
		var rating any
		if c.rating > 0 {
			rating = c.rating
		}
		if _, err := x.Exec(`INSERT INTO cases (person_id, kind, status, commune_code, answers, opened_at, first_response_at, closed_at, outcome, rating)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			p, c.kind, status, c.commune, c.answers, c.opened, null(c.firstResp), null(c.closed), null(c.outcome), rating); err != nil {
			t.Fatal(err)
		}
	}
	// Loan appointments booked in November: 3 at Hiệp Hoà's days (one
	// cancelled later), 1 at Tân Yên's; one booked in October.
	day := func(commune string) int64 {
		var id int64
		if err := x.Get(&id, `INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity)
			VALUES ($1, '2026-12-08', 'UBND', '07:30', '11:00', 10) RETURNING id`, commune); err != nil {
			t.Fatal(err)
		}
		return id
	}
	dA, dB := day(hiepHoa), day(tanYen)
	for _, a := range []struct {
		day        int64
		at, status string
	}{
		{dA, "2026-11-03 10:00+07", "booked"}, {dA, "2026-11-04 10:00+07", "booked"}, {dA, "2026-11-05 10:00+07", "cancelled"},
		{dB, "2026-11-06 10:00+07", "booked"}, {dA, "2026-10-30 10:00+07", "booked"},
	} {
		p := person(hiepHoa, "2026-09-01 08:00+07")
		if _, err := x.Exec(`INSERT INTO appointments (loan_day_id, person_id, status, created_at) VALUES ($1, $2, $3, $4)`, a.day, p, a.status, a.at); err != nil {
			t.Fatal(err)
		}
	}
}

// The figures of the fixture month, computed by hand.
func TestMonthlyFigures(t *testing.T) {
	x := dbtest.New(t)
	seed(t, x)
	db := &store.DB{X: x}
	month, err := report.ParseMonth("2026-11", hcm)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Generate(context.Background(), db, month, report.Audience{}, time.Date(2026, 12, 2, 8, 0, 0, 0, hcm))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := r.Row(hiepHoa)
	if !ok {
		t.Fatal("no row for Hiệp Hoà")
	}
	b, _ := r.Row(tanYen)
	want := map[*report.Row]map[string]float64{
		a: {
			"registrations": 6, "opened": 8, "opened_job": 4, "opened_course": 2, "opened_loan": 1, "opened_other": 1,
			"job_garment": 2, "job_factory": 1, "job_construction": 1, "job_driver": 1, "job_farming": 0, "job_other": 1,
			"appointments": 3, "closed": 6, "closed_job_found": 2, "closed_enrolled": 2, "closed_referred_elsewhere": 1,
			"closed_unreachable": 1, "responses": 7, "response_median_h": 3, "ratings": 6, "rating_mean": 23.0 / 6,
		},
		b: {
			"registrations": 2, "opened": 2, "opened_job": 1, "opened_loan": 1, "job_sales": 1, "appointments": 1,
			"closed": 1, "closed_no_longer_needed": 1, "responses": 2, "response_median_h": 6.5, "ratings": 0,
		},
		r.Total: {
			"registrations": 8, "opened": 10, "opened_job": 5, "opened_course": 2, "opened_loan": 2, "opened_other": 1,
			"job_garment": 2, "job_factory": 1, "job_construction": 1, "job_driver": 1, "job_sales": 1, "job_other": 1,
			"appointments": 4, "closed": 7, "closed_job_found": 2, "closed_enrolled": 2, "closed_referred_elsewhere": 1,
			"closed_unreachable": 1, "closed_no_longer_needed": 1, "closed_data_erased": 0,
			"responses": 9, "response_median_h": 4, "ratings": 6, "rating_mean": 23.0 / 6,
		},
	}
	for row, figures := range want {
		for key, w := range figures {
			got, err := r.Value(row, key)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%.3f", got) != fmt.Sprintf("%.3f", w) {
				t.Errorf("%s %s = %v, want %v", row.Code, key, got, w)
			}
		}
	}

	// As shown: per commune, under 5 is "< 5"; the province row is exact.
	cat := strict{t, catalog(t)}
	var buf bytes.Buffer
	if err := r.CSV(&buf, cat, "vi"); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := recs[0]
	col := func(label string) int {
		for i, h := range head {
			if h == label {
				return i
			}
		}
		t.Fatalf("no column %q in %v", label, head)
		return 0
	}
	line := func(code string) []string {
		for _, rec := range recs[1:] {
			if rec[0] == code {
				return rec
			}
		}
		t.Fatalf("no line %q", code)
		return nil
	}
	last := recs[len(recs)-1]
	if last[1] != "Toàn tỉnh" {
		t.Fatalf("last line %v, want the province", last)
	}
	checks := []struct {
		line  []string
		label string
		want  string
	}{
		{line(hiepHoa), "Đăng ký mới", "6"},
		{line(hiepHoa), "Hồ sơ mở", "8"},
		{line(hiepHoa), "Mở: Việc làm", "< 5"},
		{line(hiepHoa), "Cần việc: May mặc", "< 5"},
		{line(hiepHoa), "Hồ sơ đóng", "6"},
		{line(hiepHoa), "Trả lời lần đầu sau (giờ, trung vị)", "3.0"},
		{line(hiepHoa), "Mức hài lòng (điểm TB 1–5)", "3.8"},
		{line(tanYen), "Đăng ký mới", "< 5"},
		{line(tanYen), "Trả lời lần đầu sau (giờ, trung vị)", "< 5"},
		{line(bacGiang), "Hồ sơ mở", "< 5"}, // zero is hidden too
		{last, "Đăng ký mới", "8"},
		{last, "Mở: Việc làm", "5"},
		{last, "Mở: Học nghề", "2"},
		{last, "Lịch hẹn vay vốn", "4"},
		{last, "Đóng: Đã có việc làm", "2"},
		{last, "Đóng: Người dân đã xóa dữ liệu", "0"},
		{last, "Trả lời lần đầu sau (giờ, trung vị)", "4.0"},
		{last, "Mức hài lòng (điểm TB 1–5)", "3.8"},
	}
	for _, c := range checks {
		if got := c.line[col(c.label)]; got != c.want {
			t.Errorf("%s / %s = %q, want %q", c.line[1], c.label, got, c.want)
		}
	}
	if n := len(recs) - 2; n != 99 {
		t.Errorf("%d commune lines, want the 99 active communes", n)
	}

	// A commune officer's report: their commune only, no province line.
	o, err := report.Generate(context.Background(), db, month, report.Audience{Communes: []string{hiepHoa}}, clock.System())
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Rows) != 1 || o.Total != nil || o.Rows[0].Code != hiepHoa {
		t.Fatalf("officer report rows %+v, total %v", o.Rows, o.Total)
	}
	if c := o.Cell(&o.Rows[0], 0, false); c.Text != "6" {
		t.Errorf("officer registrations %q", c.Text)
	}
}

// The workbook opens and holds the table; the chart is a PNG.
func TestFiles(t *testing.T) {
	x := dbtest.New(t)
	seed(t, x)
	month, _ := report.ParseMonth("2026-11", hcm)
	r, err := report.Generate(context.Background(), &store.DB{X: x}, month, report.Audience{}, time.Date(2026, 12, 2, 8, 0, 0, 0, hcm))
	if err != nil {
		t.Fatal(err)
	}
	cat := strict{t, catalog(t)}
	for _, lang := range []string{"vi", "en"} {
		var buf bytes.Buffer
		if err := r.XLSX(&buf, cat, lang); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatalf("%s: the workbook does not open: %v", lang, err)
		}
		sheets := f.GetSheetList()
		if len(sheets) != 2 {
			t.Fatalf("sheets %v", sheets)
		}
		checkPrintLayout(t, f, sheets[0])
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rows[0][0], "11/2026") {
			t.Errorf("%s title %q", lang, rows[0][0])
		}
		var province []string
		for _, row := range rows {
			if len(row) > 1 && (row[1] == "Toàn tỉnh" || row[1] == "Province") {
				province = row
			}
		}
		if province == nil || province[2] != "8" {
			t.Errorf("%s: province row %v", lang, province)
		}
		// Numbers are numbers; "< 5" is text.
		v, err := f.GetCellType(sheets[0], "C"+fmt.Sprint(len(rows)))
		if err != nil || v == excelize.CellTypeSharedString || v == excelize.CellTypeInlineString {
			t.Errorf("%s: province registrations cell type %v %v", lang, v, err)
		}
		f.Close()

		img, err := r.ChartPNG(cat, lang)
		if err != nil {
			t.Fatal(err)
		}
		pic, err := png.Decode(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("%s: chart: %v", lang, err)
		}
		if b := pic.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
			t.Errorf("%s: chart size %v", lang, b)
		}
		if dir := os.Getenv("REPORT_OUT"); dir != "" {
			_ = os.WriteFile(dir+"/chart-"+lang+".png", img, 0o644)
			var xb bytes.Buffer
			_ = r.XLSX(&xb, cat, lang)
			_ = os.WriteFile(dir+"/report-"+lang+".xlsx", xb.Bytes(), 0o644)
		}
	}
}

// Every text of the rights catalog exists in both languages and renders.
func TestCatalog(t *testing.T) {
	cat := catalog(t)
	vi, en := map[string]bool{}, map[string]bool{}
	for _, k := range cat.Keys("vi") {
		vi[k] = true
	}
	for _, k := range cat.Keys("en") {
		en[k] = true
	}
	for _, c := range report.Columns() {
		for _, lang := range []string{"vi", "en"} {
			p := map[string]any{}
			for k, v := range c.Params {
				s, err := cat.Render(lang, v.(string), map[string]any{"On": false})
				if err != nil {
					t.Error(err)
				}
				p[k] = s
			}
			if _, err := cat.Render(lang, c.Label, p); err != nil {
				t.Error(err)
			}
		}
	}
	for k := range vi {
		if strings.HasPrefix(k, "report_") || strings.HasPrefix(k, "audit_") || k == "mydata_file" || k == "topic_case_erased" || k == "outcome_data_erased" {
			if !en[k] {
				t.Errorf("%s missing in English", k)
			}
		}
	}
}

// strict renders like the catalog and fails the test on a missing text.
type strict struct {
	t   *testing.T
	cat *i18n.Catalog
}

func (s strict) T(lang, key string, params map[string]any) string {
	out, err := s.cat.Render(lang, key, params)
	if err != nil {
		s.t.Errorf("catalog: %v", err)
	}
	return out
}

func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
