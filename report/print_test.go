package report_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// checkPrintLayout: the table sheet prints A4 landscape, one page wide,
// with the header rows on every page, and carries the chart.
func checkPrintLayout(t *testing.T, f *excelize.File, sheet string) {
	t.Helper()
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
