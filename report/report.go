// Package report makes the monthly figures per commune for the province's
// Employment Service Centre: new registrations, job needs by trade, course
// requests, loan appointments, cases opened and closed by outcome, the
// median time to a first answer and satisfaction, as CSV, XLSX and a PNG
// chart.
//
// Small numbers: in every per-commune row, a count under 5 (zero
// included) is shown as "< 5", and so is a median or mean computed from
// fewer than 5 cases. Zero is hidden too, so that the exact province total
// minus the other communes cannot reveal a hidden cell. Only the province
// row of the province-wide (admin) report is exact; a commune officer's
// report has no province row. The chart follows the same rule: communes
// with fewer than 5 cases share one bar, and within a bar the outcomes
// with fewer than 5 cases share one segment.
package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"reentrybot/domain"
	"reentrybot/store"
	"reentrybot/textfold"
)

// SmallCount is the smallest count shown as it is below province level.
const SmallCount = 5

// Small is how a hidden small number is written.
const Small = "< 5"

// Labels renders catalog texts; *i18n.Catalog implements it.
type Labels interface {
	T(lang, key string, params map[string]any) string
}

// Audience is who the report is for. No communes: the province (an
// admin), with an exact province row; otherwise a commune officer's
// communes only.
type Audience struct {
	Communes []string
}

// Province reports whether the audience is province-wide.
func (a Audience) Province() bool { return len(a.Communes) == 0 }

// ColumnKind says how a column's values are computed and shown.
type ColumnKind int

const (
	Count  ColumnKind = iota // a number of people, cases or appointments
	Median                   // hours, from the values of a Count column
	Mean                     // rating 1–5
)

// Column is one figure.
type Column struct {
	Key    string
	Kind   ColumnKind
	Label  string         // catalog key
	Params map[string]any // catalog parameters; string values are catalog keys too
}

// Row is a commune's figures (or the province's), indexed like Columns.
type Row struct {
	Code, Name string
	Counts     []int       // Count columns
	Stats      [][]float64 // values behind Median and Mean columns
}

// Report is one month's figures for an audience.
type Report struct {
	Month     time.Time // first instant of the month, in the report's time zone
	Generated time.Time
	Audience  Audience
	Columns   []Column
	Rows      []Row
	Total     *Row // province-wide audience only
	// Opened holds, per commune, the cases opened in the month by what
	// became of them (open, or an outcome): the chart's data.
	Opened map[string]map[string]int
	names  map[string]string
}

// Outcomes a report counts: those staff choose, the erasure's and a
// withdrawn consent's.
var Outcomes = append(slices.Clone(store.Outcomes), store.OutcomeErased, store.OutcomeWithdrawn)

// Kinds of cases.
var Kinds = []string{"job", "course", "loan", "other"}

// Columns lists the figures in report order.
func Columns() []Column {
	cols := []Column{{Key: "registrations", Label: "report_col_registrations"}, {Key: "opened", Label: "report_col_opened"}}
	for _, k := range Kinds {
		cols = append(cols, Column{Key: "opened_" + k, Label: "report_col_opened_kind", Params: map[string]any{"Kind": "kind_" + k}})
	}
	for _, t := range domain.Trades() {
		cols = append(cols, Column{Key: "job_" + t, Label: "report_col_job_trade", Params: map[string]any{"Trade": "trade_" + t}})
	}
	cols = append(cols,
		Column{Key: "job_other", Label: "report_col_job_trade", Params: map[string]any{"Trade": "report_trade_other"}},
		Column{Key: "appointments", Label: "report_col_appointments"},
		Column{Key: "closed", Label: "report_col_closed"})
	for _, o := range Outcomes {
		cols = append(cols, Column{Key: "closed_" + o, Label: "report_col_closed_outcome", Params: map[string]any{"Outcome": "outcome_" + o}})
	}
	return append(cols,
		Column{Key: "responses", Label: "report_col_responses"},
		Column{Key: "response_median_h", Kind: Median, Label: "report_col_response_median"},
		Column{Key: "ratings", Label: "report_col_ratings"},
		Column{Key: "rating_mean", Kind: Mean, Label: "report_col_rating_mean"})
}

// ParseMonth reads YYYY-MM as the first instant of that month in loc.
func ParseMonth(s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01", strings.TrimSpace(s), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("month %q: use YYYY-MM, e.g. 2026-11", s)
	}
	return t, nil
}

// LastMonth is the month before the one now falls in, in loc.
func LastMonth(now time.Time, loc *time.Location) time.Time {
	n := now.In(loc)
	return time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0)
}

// Generate reads the month's figures and builds the report.
func Generate(ctx context.Context, db *store.DB, month time.Time, aud Audience, now time.Time) (*Report, error) {
	month = time.Date(month.Year(), month.Month(), 1, 0, 0, 0, 0, month.Location())
	f, err := db.MonthFigures(ctx, month, month.AddDate(0, 1, 0))
	if err != nil {
		return nil, err
	}
	return Build(f, month, aud, now)
}

// Build adds the raw figures up into the report.
func Build(f store.MonthFigures, month time.Time, aud Audience, now time.Time) (*Report, error) {
	r := &Report{Month: month, Generated: now, Audience: aud, Columns: Columns(), Opened: map[string]map[string]int{}, names: map[string]string{}}
	idx := map[string]int{}
	for i, c := range r.Columns {
		idx[c.Key] = i
	}
	rows := map[string]*Row{}
	total := r.newRow("", "")
	row := func(code string) *Row {
		if rows[code] == nil {
			rows[code] = r.newRow(code, "")
		}
		return rows[code]
	}
	add := func(code, key string, n int) {
		row(code).Counts[idx[key]] += n
		total.Counts[idx[key]] += n
	}
	stat := func(code, key string, v float64) {
		i := idx[key]
		row(code).Stats[i] = append(row(code).Stats[i], v)
		total.Stats[i] = append(total.Stats[i], v)
	}
	for code, n := range f.Registrations {
		add(code, "registrations", n)
	}
	for code, n := range f.Appointments {
		add(code, "appointments", n)
	}
	in := func(t time.Time) bool { return !t.Before(f.From) && t.Before(f.To) }
	for _, c := range f.Cases {
		code := c.CommuneCode.String
		if in(c.OpenedAt) {
			add(code, "opened", 1)
			if _, ok := idx["opened_"+c.Kind]; ok {
				add(code, "opened_"+c.Kind, 1)
			}
			for _, t := range c.Trades {
				if _, ok := idx["job_"+t]; ok && t != "other" {
					add(code, "job_"+t, 1)
				}
			}
			if c.OtherTrade {
				add(code, "job_other", 1)
			}
			if c.FirstResponseAt.Valid {
				add(code, "responses", 1)
				stat(code, "response_median_h", c.FirstResponseAt.Time.Sub(c.OpenedAt).Hours())
			}
			what := "open"
			if c.ClosedAt.Valid {
				what = c.Outcome.String
			}
			if r.Opened[code] == nil {
				r.Opened[code] = map[string]int{}
			}
			r.Opened[code][what]++
		}
		if c.ClosedAt.Valid && in(c.ClosedAt.Time) {
			add(code, "closed", 1)
			if _, ok := idx["closed_"+c.Outcome.String]; ok {
				add(code, "closed_"+c.Outcome.String, 1)
			}
			if c.Rating.Valid {
				add(code, "ratings", 1)
				stat(code, "rating_mean", float64(c.Rating.Int64))
			}
		}
	}
	known := map[string]store.ReportCommune{}
	for _, c := range f.Communes {
		known[c.Code] = c
		r.names[c.Code] = c.Name
	}
	var codes []string
	if aud.Province() {
		for _, c := range f.Communes {
			if c.Active || rows[c.Code] != nil {
				codes = append(codes, c.Code)
			}
		}
		for code := range rows {
			if _, ok := known[code]; !ok {
				codes = append(codes, code) // no commune, or one not in the table
			}
		}
		r.Total = total
	} else {
		for _, code := range aud.Communes {
			if _, ok := known[code]; !ok {
				return nil, fmt.Errorf("report: unknown commune %q", code)
			}
			codes = append(codes, code)
		}
		for code := range r.Opened {
			if !slices.Contains(codes, code) {
				delete(r.Opened, code)
			}
		}
	}
	sort.Slice(codes, func(i, j int) bool {
		a, b := textfold.Fold(r.names[codes[i]]), textfold.Fold(r.names[codes[j]])
		if (codes[i] == "") != (codes[j] == "") {
			return codes[j] == ""
		}
		if a != b {
			return a < b
		}
		return codes[i] < codes[j]
	})
	for _, code := range codes {
		x := row(code)
		x.Name = r.names[code]
		r.Rows = append(r.Rows, *x)
	}
	return r, nil
}

func (r *Report) newRow(code, name string) *Row {
	return &Row{Code: code, Name: name, Counts: make([]int, len(r.Columns)), Stats: make([][]float64, len(r.Columns))}
}

// Cell is one value as shown: Text always; Num and IsNum when it is a
// number a spreadsheet may compute with.
type Cell struct {
	Text  string
	Num   float64
	IsNum bool
}

// Cell returns column i of row as shown; exact is true for the province
// row of a province-wide report only.
func (r *Report) Cell(row *Row, i int, exact bool) Cell {
	col := r.Columns[i]
	switch col.Kind {
	case Median, Mean:
		vs := row.Stats[i]
		if len(vs) == 0 {
			if exact {
				return Cell{}
			}
			return Cell{Text: Small}
		}
		if len(vs) < SmallCount && !exact {
			return Cell{Text: Small}
		}
		v := mean(vs)
		if col.Kind == Median {
			v = median(vs)
		}
		v = math.Round(v*10) / 10
		return Cell{Text: fmt.Sprintf("%.1f", v), Num: v, IsNum: true}
	}
	n := row.Counts[i]
	if n < SmallCount && !exact {
		return Cell{Text: Small}
	}
	return Cell{Text: fmt.Sprint(n), Num: float64(n), IsNum: true}
}

// Value returns the exact figure of a row's column by key (tests and the
// chart); for Median and Mean columns it returns the statistic.
func (r *Report) Value(row *Row, key string) (float64, error) {
	for i, c := range r.Columns {
		if c.Key != key {
			continue
		}
		switch c.Kind {
		case Median:
			return median(row.Stats[i]), nil
		case Mean:
			return mean(row.Stats[i]), nil
		}
		return float64(row.Counts[i]), nil
	}
	return 0, errors.New("report: no column " + key)
}

// Row returns the row of a commune code.
func (r *Report) Row(code string) (*Row, bool) {
	for i := range r.Rows {
		if r.Rows[i].Code == code {
			return &r.Rows[i], true
		}
	}
	return nil, false
}

func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func mean(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	var sum float64
	for _, v := range vs {
		sum += v
	}
	return sum / float64(len(vs))
}

// label renders a column's header.
func (c Column) label(l Labels, lang string) string {
	p := map[string]any{}
	for k, v := range c.Params {
		if s, ok := v.(string); ok {
			v = l.T(lang, s, map[string]any{"On": false})
		}
		p[k] = v
	}
	return l.T(lang, c.Label, p)
}

// communeName is a row's name as shown.
func (r *Report) communeName(row *Row, l Labels, lang string) string {
	switch {
	case row == r.Total:
		return l.T(lang, "report_province", nil)
	case row.Code == "":
		return l.T(lang, "report_no_commune", nil)
	case row.Name == "":
		return row.Code
	}
	return row.Name
}

// FileName is the report's file name for ext (csv, xlsx, png).
func (r *Report) FileName(ext string) string {
	return "bao-cao-" + r.Month.Format("2006-01") + "." + ext
}

// monthLabel is "11/2026".
func (r *Report) monthLabel() string { return r.Month.Format("01/2006") }
