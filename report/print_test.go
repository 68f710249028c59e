package report_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"reentrybot/dbtest"
	"reentrybot/report"
	"reentrybot/store"
)

// The table sheet prints A4 landscape, one page wide, with the header rows
// on every page, and carries the chart.
func TestWorkbookPrintLayoutAndChart(t *testing.T) {
	x := dbtest.New(t)
	seed(t, x)
	month, _ := report.ParseMonth("2026-11", hcm)
	r, err := report.Generate(context.Background(), &store.DB{X: x}, month, report.Audience{}, time.Date(2026, 12, 2, 8, 0, 0, 0, hcm))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.XLSX(&buf, strict{t, catalog(t)}, "vi"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	lay, err := f.GetPageLayout(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if lay.Size == nil || *lay.Size != 9 || lay.Orientation == nil || *lay.Orientation != "landscape" || lay.FitToWidth == nil || *lay.FitToWidth != 1 {
		t.Errorf("page layout %+v, want A4 (9) landscape, one page wide", lay)
	}
	var titles bool
	for _, d := range f.GetDefinedName() {
		if d.Name == "_xlnm.Print_Titles" && d.Scope == sheet {
			titles = true
		}
	}
	if !titles {
		t.Error("no print titles (header rows repeated on each page)")
	}
	cells, err := f.GetPictureCells(sheet)
	if err != nil || len(cells) != 1 {
		t.Fatalf("picture cells %v (%v), want the chart", cells, err)
	}
	pics, err := f.GetPictures(sheet, cells[0])
	if err != nil || len(pics) != 1 || !bytes.HasPrefix(pics[0].File, []byte("\x89PNG")) {
		t.Fatalf("chart picture: %d pictures, %v", len(pics), err)
	}
}
