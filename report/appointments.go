package report

import (
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"reentrybot/store"
)

// appointmentColumns are the bank desk's list, as catalog keys of their
// headers; the last is left blank for the desk's own notes.
var appointmentColumns = []string{
	"ap_col_no", "ap_col_name", "ap_col_birth_year", "ap_col_phone", "ap_col_time",
	"ap_col_purpose", "ap_col_amount", "ap_col_case", "ap_col_booked", "ap_col_notes",
}

// AppointmentsXLSX writes a commune's loan-day appointments as a workbook
// that prints on A4 landscape, for the Vietnam Bank for Social Policies'
// desk on the transaction day. Answers are spelled out in lang, times in
// loc.
func AppointmentsXLSX(w io.Writer, appts []store.BookedAppointment, commune string, day time.Time, l Labels, lang string, loc *time.Location) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := l.T(lang, "ap_sheet", nil)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	place := ""
	if len(appts) > 0 {
		place = appts[0].Place
	}
	title := l.T(lang, "ap_title", map[string]any{"Commune": commune, "Date": day.Format("02/01/2006"), "Place": place, "Count": len(appts)})
	if err := f.SetCellValue(sheet, "A1", title); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	if err != nil {
		return err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}})
	if err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "A1", bold); err != nil {
		return err
	}
	const top = 3
	for i, k := range appointmentColumns {
		cell, _ := excelize.CoordinatesToCellName(i+1, top)
		if err := f.SetCellValue(sheet, cell, l.T(lang, k, nil)); err != nil {
			return err
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(appointmentColumns), top)
	if err := f.SetCellStyle(sheet, "A3", last, head); err != nil {
		return err
	}
	spell := func(prefix, v string) string {
		if v == "" {
			return ""
		}
		return l.T(lang, prefix+v, nil)
	}
	for y, a := range appts {
		row := []any{
			y + 1, cellText(a.FullName.String), nullInt(a.BirthYear), nationalPhone(a.Phone.String), a.StartsAt + "–" + a.EndsAt,
			spell("loan_purpose_", a.Purpose), spell("loan_amount_", a.Amount), nullInt(a.CaseID),
			a.BookedAt.In(loc).Format("02/01/2006 15:04"), "",
		}
		for x, v := range row {
			cell, _ := excelize.CoordinatesToCellName(x+1, top+1+y)
			if err := f.SetCellValue(sheet, cell, v); err != nil {
				return err
			}
		}
	}
	for col, width := range map[string]float64{"A": 5, "B": 26, "C": 9, "D": 14, "E": 12, "F": 20, "G": 22, "H": 9, "I": 16, "J": 30} {
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	a4, landscape, one, tall := 9, "landscape", 1, 0
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sheet, top, top), Scope: sheet}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// nullInt is n, or an empty cell.
func nullInt(n sql.NullInt64) any {
	if !n.Valid {
		return ""
	}
	return n.Int64
}
