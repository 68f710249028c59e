package report

import (
	"bytes"
	"database/sql"
	"fmt"
	"image/png"
	"os"
	"testing"
	"time"

	"reentrybot/i18n"
	"reentrybot/store"
)

// A busier month than the database fixture: communes of 5 cases or more
// get their own bar, the others share one; outcomes under 5 share a
// segment.
func TestChartPooling(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	f := store.MonthFigures{From: month, To: month.AddDate(0, 1, 0), Registrations: map[string]int{}, Appointments: map[string]int{}}
	communes := []store.ReportCommune{{Code: "07840", Name: "Hiệp Hoà", Active: true}, {Code: "07339", Name: "Tân Yên", Active: true}, {Code: "07210", Name: "Bắc Giang", Active: true}, {Code: "09187", Name: "Kinh Bắc", Active: true}, {Code: "09340", Name: "Đại Đồng", Active: true}}
	f.Communes = communes
	mix := map[string]map[string]int{
		"07840": {"open": 9, "job_found": 7, "enrolled": 5, "unreachable": 2, "data_erased": 1},
		"07339": {"open": 6, "loan_referred": 5},
		"07210": {"open": 3, "job_found": 1}, // under 5: shares the last bar
		"09187": {"job_found": 2},            // likewise
		"09340": {"open": 5},
	}
	id := int64(0)
	for code, m := range mix {
		for what, n := range m {
			for range n {
				id++
				c := store.ReportCase{ID: id, Kind: "job", CommuneCode: sql.NullString{String: code, Valid: true}, OpenedAt: month.Add(48 * time.Hour)}
				if what != "open" {
					c.ClosedAt = sql.NullTime{Time: month.Add(72 * time.Hour), Valid: true}
					c.Outcome = sql.NullString{String: what, Valid: true}
				}
				f.Cases = append(f.Cases, c)
			}
		}
	}
	r, err := Build(f, month, Audience{}, month.AddDate(0, 1, 1))
	if err != nil {
		t.Fatal(err)
	}
	c, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	cat := strictLabels{t, c}
	bars := r.bars(cat, "vi")
	got := map[string]string{}
	for _, b := range bars {
		got[b.name] = fmt.Sprint(b.total, b.segs)
	}
	want := map[string]string{
		"Hiệp Hoà":                   "24 map[enrolled:5 job_found:7 open:9 small:3]",
		"Tân Yên":                    "11 map[loan_referred:5 open:6]",
		"Đại Đồng":                   "5 map[open:5]",
		"Các xã/phường dưới 5 hồ sơ": "6 map[small:6]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bars\n got %v\nwant %v", got, want)
	}
	for _, lang := range []string{"vi", "en"} {
		img, err := r.ChartPNG(cat, lang)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(img)); err != nil {
			t.Fatal(err)
		}
		if dir := os.Getenv("REPORT_OUT"); dir != "" {
			_ = os.WriteFile(dir+"/busy-"+lang+".png", img, 0o644)
		}
	}
}

type strictLabels struct {
	t   *testing.T
	cat *i18n.Catalog
}

func (s strictLabels) T(lang, key string, params map[string]any) string {
	out, err := s.cat.Render(lang, key, params)
	if err != nil {
		s.t.Errorf("catalog: %v", err)
	}
	return out
}

// A month without cases still draws a chart.
func TestChartEmpty(t *testing.T) {
	month := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r, err := Build(store.MonthFigures{From: month, To: month.AddDate(0, 1, 0)}, month, Audience{}, month)
	if err != nil {
		t.Fatal(err)
	}
	c, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	img, err := r.ChartPNG(strictLabels{t, c}, "vi")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(img)); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("REPORT_OUT"); dir != "" {
		_ = os.WriteFile(dir+"/empty.png", img, 0o644)
	}
}
