package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"reentrybot/store"
)

// jobNeedColumns are the export's columns in the order of the Employment
// Service Centre's register of job seekers (the labour-supply fields of
// Circular 01/2022/TT-BLĐTBXH), as catalog keys of their headers
// (staff.*.toml, jn_col_*). The order is the Centre's, so that a clerk
// enters a row left to right; README.md ("export job-needs") lists it:
//
//	 1 STT                              no.
//	 2 Họ và tên                        full name
//	 3 Năm sinh                         year of birth
//	 4 Giới tính                        sex
//	 5 Số điện thoại                    phone, national form (0…)
//	 6 Mã xã                            official commune code (Decision 19/2025/QĐ-TTg)
//	 7 Xã/phường                        commune or ward
//	 8 Trình độ giáo dục phổ thông      schooling
//	 9 Trình độ chuyên môn kỹ thuật     technical qualification
//	10 Tình trạng việc làm              work status now
//	11 Công việc mong muốn              work wanted (trades; typed text last)
//	12 Nơi làm việc mong muốn           place of work wanted
//	13 Hình thức làm việc               working time
//	14 Mức lương mong muốn (tháng)      monthly wage wanted
//	15 Thời gian có thể bắt đầu         can start
//	16 Đi làm việc ở nước ngoài         work abroad
//	17 Đối tượng ưu tiên                priority groups
//	18 Ngày đăng ký                     date registered (dd/mm/yyyy)
//	19 Số yêu cầu                       request number
//
// Checked (issue 17, item 6) against the labour-supply content of Circular
// 01/2022/TT-BLĐTBXH as a law firm's summary lists it (luatminhkhue.vn,
// "thu thập thông tin về cung lao động"): a) name, date of birth, sex,
// ethnicity, personal identification number; b) highest general
// schooling, technical qualification and field of training; c) current
// main job; d) unemployment; đ) reason for not working; e) training and
// job needs. The order above follows a) to e). NOT verified: the
// Circular's own form or the Centre's entry screen (neither was at hand),
// so the column order within each part is ours. Not recorded on purpose or
// not asked: date of birth (year only), ethnicity and identification
// number (data minimisation), field of training, the current job's
// workplace, length of unemployment, reason for not working.
var jobNeedColumns = []string{
	"jn_col_no", "jn_col_name", "jn_col_birth_year", "jn_col_gender", "jn_col_phone",
	"jn_col_commune_code", "jn_col_commune", "jn_col_education", "jn_col_qualification",
	"jn_col_status", "jn_col_trades", "jn_col_where", "jn_col_hours", "jn_col_wage",
	"jn_col_start", "jn_col_abroad", "jn_col_priority", "jn_col_registered", "jn_col_case",
}

// jobNeedTable is the export's header and rows, every cell text: answers
// spelled out in lang, dates in loc, typed text kept from being run as a
// formula. CSV and workbook write the same table.
func jobNeedTable(needs []store.JobNeed, l Labels, lang string, loc *time.Location) (head []string, rows [][]string) {
	head = make([]string, len(jobNeedColumns))
	for i, k := range jobNeedColumns {
		head[i] = l.T(lang, k, nil)
	}
	label := func(prefix, v string) string {
		if v == "" {
			return ""
		}
		return l.T(lang, prefix+v, map[string]any{"On": false})
	}
	labels := func(prefix string, vs []string) string {
		out := make([]string, 0, len(vs))
		for _, v := range vs {
			out = append(out, label(prefix, v))
		}
		return strings.Join(out, "; ")
	}
	for i, n := range needs {
		trades := labels("trade_", n.Trades)
		if n.TradesOther != "" && trades != "" {
			trades += "; " + n.TradesOther
		} else if n.TradesOther != "" {
			trades = n.TradesOther
		}
		year := ""
		if n.BirthYear.Valid {
			year = strconv.FormatInt(n.BirthYear.Int64, 10)
		}
		rec := []string{
			strconv.Itoa(i + 1), n.FullName.String, year, label("gender_", n.Gender.String), nationalPhone(n.Phone.String),
			n.CommuneCode.String, n.CommuneName.String, label("edu_", n.Education.String), label("qual_", n.Qualification),
			label("work_status_", n.Status), trades, label("where_", n.Where), label("hours_", n.Hours), label("wage_", n.Wage),
			label("start_", n.Start), label("abroad_", n.Abroad), labels("priority_", n.Priority),
			n.OpenedAt.In(loc).Format("02/01/2006"), strconv.FormatInt(n.CaseID, 10),
		}
		for j, s := range rec {
			rec[j] = cellText(s)
		}
		rows = append(rows, rec)
	}
	return head, rows
}

// JobNeedsCSV writes the job needs as UTF-8 CSV with a byte-order mark, one
// row per need in the Centre's column order; answers are spelled out in
// lang and dates are in loc.
func JobNeedsCSV(w io.Writer, needs []store.JobNeed, l Labels, lang string, loc *time.Location) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	head, rows := jobNeedTable(needs, l, lang, loc)
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// JobNeedsXLSX writes the same table as a workbook: the header on row 1
// (frozen, repeated on each printed page), one need a row below, every
// cell text so that codes and phone numbers keep their leading zero.
func JobNeedsXLSX(w io.Writer, needs []store.JobNeed, l Labels, lang string, loc *time.Location) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := l.T(lang, "jn_sheet", nil)
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	head, rows := jobNeedTable(needs, l, lang, loc)
	for y, rec := range append([][]string{head}, rows...) {
		for x, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(x+1, y+1)
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return err
			}
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(head), 1)
	if err := f.SetCellStyle(sheet, "A1", last, bold); err != nil {
		return err
	}
	lastCol, _ := excelize.ColumnNumberToName(len(head))
	if err := f.SetColWidth(sheet, "B", lastCol, 18); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	a4, landscape := 9, "landscape"
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape}); err != nil {
		return err
	}
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$1", sheet), Scope: sheet}); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// nationalPhone writes +84… as 0…, the way the Centre files numbers (and
// so a spreadsheet does not read it as a formula or a number).
func nationalPhone(e164 string) string {
	if rest, ok := strings.CutPrefix(e164, "+84"); ok {
		return "0" + rest
	}
	return e164
}

// cellText keeps typed text from being run as a spreadsheet formula.
func cellText(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
