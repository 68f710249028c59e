package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// header is the table's header row.
func (r *Report) header(l Labels, lang string) []string {
	h := []string{l.T(lang, "report_code", nil), l.T(lang, "report_commune", nil)}
	for _, c := range r.Columns {
		h = append(h, c.label(l, lang))
	}
	return h
}

// table is every row as shown, the province row last when there is one.
func (r *Report) table(l Labels, lang string) [][]Cell {
	var out [][]Cell
	line := func(row *Row, exact bool) {
		cells := []Cell{{Text: row.Code}, {Text: r.communeName(row, l, lang)}}
		for i := range r.Columns {
			cells = append(cells, r.Cell(row, i, exact))
		}
		out = append(out, cells)
	}
	for i := range r.Rows {
		line(&r.Rows[i], false)
	}
	if r.Total != nil {
		line(r.Total, true)
	}
	return out
}

// CSV writes the table as UTF-8 CSV with a byte-order mark (so that Excel
// reads the Vietnamese right), one header row, then one row per commune.
func (r *Report) CSV(w io.Writer, l Labels, lang string) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(r.header(l, lang)); err != nil {
		return err
	}
	for _, cells := range r.table(l, lang) {
		rec := make([]string, len(cells))
		for i, c := range cells {
			rec[i] = c.Text
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// XLSX writes the report as a workbook: the table (title, header frozen,
// numbers as numbers, "< 5" as text, printed A4 landscape) with the chart
// below it, and a sheet of notes.
func (r *Report) XLSX(w io.Writer, l Labels, lang string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := l.T(lang, "report_sheet", map[string]any{"Month": r.Month.Format("01-2006")})
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Border:    []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}},
	})
	if err != nil {
		return err
	}
	small, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "808080"}, Alignment: &excelize.Alignment{Horizontal: "right"}})
	if err != nil {
		return err
	}
	total, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: []excelize.Border{{Type: "top", Color: "000000", Style: 1}}})
	if err != nil {
		return err
	}
	scope := l.T(lang, "report_scope_province", nil)
	if !r.Audience.Province() {
		scope = l.T(lang, "report_scope_communes", map[string]any{"Count": len(r.Audience.Communes)})
	}
	set := func(col, row int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		return f.SetCellValue(sheet, cell, v)
	}
	if err := set(1, 1, l.T(lang, "report_title", map[string]any{"Month": r.monthLabel(), "Scope": scope})); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "A1", bold); err != nil {
		return err
	}
	if err := set(1, 2, l.T(lang, "report_generated", map[string]any{"At": r.Generated.In(r.Month.Location()).Format("02/01/2006 15:04")})); err != nil {
		return err
	}
	if err := set(1, 3, l.T(lang, "report_small_rule", nil)); err != nil {
		return err
	}
	const top = 5
	hdr := r.header(l, lang)
	for i, h := range hdr {
		if err := set(i+1, top, h); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(hdr), top)
	if err := f.SetCellStyle(sheet, "A5", last, head); err != nil {
		return err
	}
	if err := f.SetRowHeight(sheet, top, 60); err != nil {
		return err
	}
	rows := r.table(l, lang)
	for y, cells := range rows {
		for x, c := range cells {
			var v any = c.Text
			if c.IsNum {
				v = c.Num
			}
			if err := set(x+1, top+1+y, v); err != nil {
				return err
			}
			if c.Text == Small {
				name, _ := excelize.CoordinatesToCellName(x+1, top+1+y)
				if err := f.SetCellStyle(sheet, name, name, small); err != nil {
					return err
				}
			}
		}
	}
	if r.Total != nil {
		y := top + len(rows)
		a, _ := excelize.CoordinatesToCellName(1, y)
		b, _ := excelize.CoordinatesToCellName(len(hdr), y)
		if err := f.SetCellStyle(sheet, a, b, total); err != nil {
			return err
		}
	}
	lastCol, _ := excelize.ColumnNumberToName(len(hdr))
	if err := f.SetColWidth(sheet, "A", "A", 8); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "B", "B", 26); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "C", lastCol, 13); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: top, TopLeftCell: "C6", ActivePane: "bottomRight"}); err != nil {
		return err
	}
	if err := r.printLayout(f, sheet, top, top+len(rows), l, lang); err != nil {
		return err
	}

	notes := l.T(lang, "report_notes_sheet", nil)
	if _, err := f.NewSheet(notes); err != nil {
		return err
	}
	if err := f.SetColWidth(notes, "A", "A", 120); err != nil {
		return err
	}
	for i, line := range strings.Split(l.T(lang, "report_notes", map[string]any{"Month": r.monthLabel()}), "\n") {
		if err := f.SetCellValue(notes, fmt.Sprintf("A%d", i+1), line); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}
