package report

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/xuri/excelize/v2"
)

// printLayout makes the table sheet print as officials file it: A4
// landscape, all columns on one page wide, the title and header rows
// repeated on every page; then the chart (ChartPNG) below the table, on a
// page of its own.
func (r *Report) printLayout(f *excelize.File, sheet string, headerRow, lastRow int, l Labels, lang string) error {
	a4, landscape, wide, tall := 9, "landscape", 1, 0 // tall 0: as many pages down as needed
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &wide, FitToHeight: &tall}); err != nil {
		return fmt.Errorf("xlsx page layout: %w", err)
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return fmt.Errorf("xlsx page layout: %w", err)
	}
	margin, edge := 0.5, 0.3 // inches
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &margin, Right: &margin, Top: &margin, Bottom: &margin, Header: &edge, Footer: &edge}); err != nil {
		return fmt.Errorf("xlsx page margins: %w", err)
	}
	if err := f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: sheet, RefersTo: fmt.Sprintf("'%s'!$1:$%d", sheet, headerRow),
	}); err != nil {
		return fmt.Errorf("xlsx print titles: %w", err)
	}

	img, err := r.ChartPNG(l, lang)
	if err != nil {
		return err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return fmt.Errorf("xlsx chart: %w", err)
	}
	at := fmt.Sprintf("A%d", lastRow+3)
	if err := f.InsertPageBreak(sheet, at); err != nil {
		return fmt.Errorf("xlsx page break: %w", err)
	}
	// About the printable width of A4 landscape at 96 dpi, whatever size
	// the chart was drawn at.
	scale := min(1.0, 960/float64(cfg.Width))
	return f.AddPictureFromBytes(sheet, at, &excelize.Picture{
		Extension: ".png", File: img,
		Format: &excelize.GraphicOptions{AltText: "chart", ScaleX: scale, ScaleY: scale, Positioning: "oneCell"},
	})
}
