package desk

import (
	"bytes"
	"encoding/csv"
	"html/template"
	"net/http"
	"time"

	"reentrybot/i18n"
	"reentrybot/report"
	"reentrybot/store"
)

// The monthly report, as /report sends it: the member's communes (the
// province for a member without communes), small numbers hidden by
// package report. The table on the page is the CSV file's, cell for cell.

// reportMonth reads ?month=YYYY-MM; last month when absent.
func (s *Server) reportMonth(r *http.Request) (time.Time, bool) {
	m := r.URL.Query().Get("month")
	if m == "" {
		return report.LastMonth(s.db.Now(), s.opt.Loc), true
	}
	t, err := report.ParseMonth(m, s.opt.Loc)
	return t, err == nil
}

// audience is bot.staffReport's: the member's communes.
func audience(sess store.DeskSession) report.Audience {
	return report.Audience{Communes: sess.Communes}
}

func (s *Server) reportPage(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	month, ok := s.reportMonth(r)
	data := map[string]any{"Title": "Báo cáo tháng", "Sess": sess}
	if !ok {
		data["Error"] = "Tháng không hợp lệ: hãy ghi theo dạng NNNN-TT, ví dụ 2026-11."
		data["Month"] = report.LastMonth(s.db.Now(), s.opt.Loc).Format("2006-01")
		s.render(w, http.StatusBadRequest, "report", data)
		return
	}
	rep, err := report.Generate(ctx, s.db, month, audience(sess), s.db.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	file, err := s.reportBytes(rep, "csv")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	table, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\ufeff")))).ReadAll()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	chart, err := s.reportBytes(rep, "png")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(ctx, sess.ID, "report", 0, "desk "+month.Format("2006-01"))
	scope := s.cat.T(i18n.Default, "report_scope_province", nil)
	if !rep.Audience.Province() {
		scope = s.cat.T(i18n.Default, "report_scope_communes", map[string]any{"Count": len(rep.Audience.Communes)})
	}
	data["Month"] = month.Format("2006-01")
	data["MonthLabel"] = month.Format("01/2006")
	data["Scope"] = scope
	data["Head"] = table[0]
	data["Rows"] = table[1:]
	data["Chart"] = template.URL(dataURL(chart)) // made here, not from input
	s.render(w, http.StatusOK, "report", data)
}

// reportFiles are the downloads: the same files Telegram sends.
var reportFiles = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"png":  "image/png",
}

func (s *Server) reportFile(w http.ResponseWriter, r *http.Request, sess store.DeskSession) {
	ctx := r.Context()
	format := r.URL.Query().Get("format")
	ctype, known := reportFiles[format]
	month, ok := s.reportMonth(r)
	if !known || !ok {
		s.render(w, http.StatusBadRequest, "message", map[string]any{"Title": "Báo cáo tháng", "Sess": sess,
			"Text": "Không có tệp báo cáo này. Hãy mở lại trang Báo cáo và chọn tệp."})
		return
	}
	rep, err := report.Generate(ctx, s.db, month, audience(sess), s.db.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	file, err := s.reportBytes(rep, format)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(ctx, sess.ID, "report", 0, "desk "+month.Format("2006-01")+" "+format)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+rep.FileName(format)+`"`)
	w.Write(file)
}

// reportBytes makes one of the report's files, as Telegram sends them.
func (s *Server) reportBytes(rep *report.Report, format string) ([]byte, error) {
	if format == "png" {
		return rep.ChartPNG(s.cat, i18n.Default)
	}
	var buf bytes.Buffer
	err := rep.CSV(&buf, s.cat, i18n.Default)
	if format == "xlsx" {
		buf.Reset()
		err = rep.XLSX(&buf, s.cat, i18n.Default)
	}
	return buf.Bytes(), err
}
