package desk

import (
	"bytes"
	"encoding/csv"
	"html/template"
	"net/http"
	"time"

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
	lang := s.lang(r)
	data := s.pageData(r, "desk_report_title", "/report") // lang.go
	data["Sess"] = sess
	if !ok {
		data["Error"] = s.tr(r, "desk_report_bad_month", nil)
		data["Month"] = report.LastMonth(s.db.Now(), s.opt.Loc).Format("2006-01")
		s.render(w, http.StatusBadRequest, "report", data)
		return
	}
	rep, err := report.Generate(ctx, s.db, month, audience(sess), s.db.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	file, err := s.reportBytes(rep, "csv", lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	table, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(file, []byte("\ufeff")))).ReadAll()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	chart, err := s.reportBytes(rep, "png", lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(ctx, sess.ID, "report", 0, "desk "+month.Format("2006-01"))
	scope := s.cat.T(lang, "report_scope_province", nil)
	if !rep.Audience.Province() {
		scope = s.cat.T(lang, "report_scope_communes", map[string]any{"Count": len(rep.Audience.Communes)})
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
		s.sayTo(w, r, sess, http.StatusBadRequest, "desk_report_no_file", nil) // lang.go
		return
	}
	rep, err := report.Generate(ctx, s.db, month, audience(sess), s.db.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	file, err := s.reportBytes(rep, format, s.lang(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(ctx, sess.ID, "report", 0, "desk "+month.Format("2006-01")+" "+format)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+rep.FileName(format)+`"`)
	w.Write(file)
}

// reportBytes makes one of the report's files in lang, as Telegram sends
// them.
func (s *Server) reportBytes(rep *report.Report, format, lang string) ([]byte, error) {
	if format == "png" {
		return rep.ChartPNG(s.cat, lang)
	}
	var buf bytes.Buffer
	err := rep.CSV(&buf, s.cat, lang)
	if format == "xlsx" {
		buf.Reset()
		err = rep.XLSX(&buf, s.cat, lang)
	}
	return buf.Bytes(), err
}
