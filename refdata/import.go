package refdata

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"reentrybot/domain"
	"reentrybot/store"
	"reentrybot/textfold"
)

// Importing reference data from CSV files (UTF-8, a header row, columns in
// any order, lines starting with # ignored): every row is validated before
// anything is written, in one transaction, and a problem names its line
// and field. Rows are upserted by their key, so importing a file twice
// changes nothing the second time. Export writes the same columns back.

// Result counts what an import did.
type Result struct {
	Added, Changed, Unchanged int
	// Retired counts rows absent from the file that were marked inactive
	// (--retire-missing); they and their history stay.
	Retired int
}

func (r Result) String() string {
	s := fmt.Sprintf("%d added, %d changed, %d unchanged", r.Added, r.Changed, r.Unchanged)
	if r.Retired > 0 {
		s += fmt.Sprintf(", %d retired", r.Retired)
	}
	return s
}

// sheet is a parsed CSV file: its rows as maps by column name.
type sheet struct {
	rows  []map[string]string
	lines []int
	probs Problems
}

func (s *sheet) bad(line int, field string, kind ProblemKind, a args) {
	s.probs = append(s.probs, Problem{Line: line, Field: field, Kind: kind, Args: a})
}

// readSheet reads a CSV file with the required and optional columns.
func readSheet(r io.Reader, required, optional []string) *sheet {
	s := &sheet{}
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			s.bad(1, "", ProbEmptyFile, args{"Columns": strings.Join(required, ",")})
		} else {
			kind, a := csvProblem(err)
			s.bad(1, "", kind, a)
		}
		return s
	}
	hl, _ := cr.FieldPos(0)
	cols := make([]string, len(head))
	seen := map[string]bool{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		cols[i] = h
		switch {
		case !slices.Contains(required, h) && !slices.Contains(optional, h):
			s.bad(hl, h, ProbUnknownColumn, args{"Expected": strings.Join(append(slices.Clone(required), optional...), ",")})
		case seen[h]:
			s.bad(hl, h, ProbColumnTwice, nil)
		}
		seen[h] = true
	}
	for _, c := range required {
		if !seen[c] {
			s.bad(hl, c, ProbColumnMissing, nil)
		}
	}
	if len(s.probs) > 0 {
		return s
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			kind, a := csvProblem(err)
			s.bad(line, "", kind, a)
			return s
		}
		if len(rec) != len(cols) {
			s.bad(line, "", ProbFieldCount, args{"N": len(rec), "Want": len(cols)})
			continue
		}
		row := map[string]string{}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				s.bad(line, cols[i], ProbNotUTF8, nil)
			}
			row[cols[i]] = strings.TrimSpace(norm.NFC.String(v))
		}
		s.rows = append(s.rows, row)
		s.lines = append(s.lines, line)
	}
	if len(s.rows) == 0 && len(s.probs) == 0 {
		s.bad(hl, "", ProbNoRows, nil)
	}
	return s
}

// Field checks, each recording a problem and returning the zero value.

func (s *sheet) text(line int, row map[string]string, field string, min, max int) string {
	v := row[field]
	n := utf8.RuneCountInString(v)
	switch {
	case n < min && min == 1:
		s.bad(line, field, ProbEmpty, nil)
	case n < min || n > max:
		s.bad(line, field, ProbLength, args{"N": n, "Min": min, "Max": max})
	case strings.ContainsAny(v, "\r\n\t"):
		s.bad(line, field, ProbOneLine, nil)
	}
	return v
}

func (s *sheet) digits(line int, row map[string]string, field string) string {
	v := row[field]
	if v == "" || len(v) > 10 || strings.Trim(v, "0123456789") != "" {
		s.bad(line, field, ProbNotDigits, args{"Value": quoted(v)})
	}
	return v
}

func (s *sheet) oneOf(line int, row map[string]string, field string, vals []string) string {
	v := strings.ToLower(row[field])
	if !slices.Contains(vals, v) {
		s.bad(line, field, ProbNotOneOf, args{"Value": quoted(row[field]), "Allowed": strings.Join(vals, ", ")})
	}
	return v
}

func (s *sheet) boolean(line int, row map[string]string, field string, def bool) bool {
	v, ok := row[field]
	if !ok || v == "" {
		return def
	}
	switch strings.ToLower(v) {
	case "true", "yes", "1", "có", "co":
		return true
	case "false", "no", "0", "không", "khong":
		return false
	}
	s.bad(line, field, ProbNotBoolean, args{"Value": quoted(v)})
	return def
}

func (s *sheet) integer(line int, row map[string]string, field string, min, max int64, def ...int64) int64 {
	v, ok := row[field]
	if (!ok || v == "") && len(def) > 0 {
		return def[0]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		s.bad(line, field, ProbNotInteger, args{"Value": quoted(v), "Min": min, "Max": max})
	}
	return n
}

func (s *sheet) date(line int, row map[string]string, field string) time.Time {
	v := row[field]
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		s.bad(line, field, ProbNotDate, args{"Value": quoted(v)})
	}
	return d
}

var clockRe = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)

func (s *sheet) clock(line int, row map[string]string, field string) string {
	v := row[field]
	m := clockRe.FindStringSubmatch(v)
	if m == nil {
		s.bad(line, field, ProbNotClock, args{"Value": quoted(v)})
		return ""
	}
	h, _ := strconv.Atoi(m[1])
	return fmt.Sprintf("%02d:%s", h, m[2])
}

// Communes

var (
	communeRequired = []string{"code", "name", "full_name", "type", "province_code"}
	communeOptional = []string{"active"}
)

// CommuneRecord is a commune from a file, with its line.
type CommuneRecord struct {
	domain.Commune
	Line int
}

// ParseCommuneFile reads a communes file: code, name, full_name, type
// (commune or ward), province_code and optionally active (true/false).
func ParseCommuneFile(r io.Reader) ([]CommuneRecord, error) {
	s := readSheet(r, communeRequired, communeOptional)
	var out []CommuneRecord
	first := map[string]int{}
	for i, row := range s.rows {
		l := s.lines[i]
		c := CommuneRecord{Line: l, Commune: domain.Commune{
			Code:         s.digits(l, row, "code"),
			Name:         s.text(l, row, "name", 1, 100),
			FullName:     s.text(l, row, "full_name", 1, 200),
			Type:         s.oneOf(l, row, "type", []string{"commune", "ward"}),
			ProvinceCode: s.digits(l, row, "province_code"),
			Active:       s.boolean(l, row, "active", true),
		}}
		if f := first[c.Code]; f != 0 {
			s.bad(l, "code", ProbDuplicate, args{"Code": c.Code, "First": f})
		}
		first[c.Code] = l
		out = append(out, c)
	}
	if len(s.probs) > 0 {
		return nil, s.probs
	}
	return out, nil
}

// EmbeddedCommunes returns the built-in list of Bắc Ninh's 99 communes and
// wards as an import would read it.
func EmbeddedCommunes() ([]CommuneRecord, error) {
	cs, err := Communes()
	if err != nil {
		return nil, err
	}
	out := make([]CommuneRecord, len(cs))
	for i, c := range cs {
		out[i] = CommuneRecord{Commune: c, Line: i + 2}
	}
	return out, nil
}

// ImportCommunes upserts communes by code. With retireMissing, active
// communes absent from the file are retired. A commune is never deleted:
// people and cases keep its code.
func ImportCommunes(ctx context.Context, db *store.DB, recs []CommuneRecord, retireMissing bool) (Result, error) {
	var res Result
	err := db.InTx(ctx, func(tx *store.Tx) error {
		res = Result{}
		if err := tx.LockForImport(ctx, "communes"); err != nil {
			return err
		}
		have, err := tx.AllCommunes(ctx)
		if err != nil {
			return err
		}
		old := map[string]domain.Commune{}
		for _, c := range have {
			old[c.Code] = c
		}
		inFile := map[string]bool{}
		for _, r := range recs {
			inFile[r.Code] = true
			o, ok := old[r.Code]
			switch {
			case !ok:
				res.Added++
			case sameCommune(o, r.Commune):
				res.Unchanged++
				continue
			default:
				res.Changed++
			}
			if err := tx.UpsertCommune(ctx, r.Commune, textfold.Fold(r.Name)); err != nil {
				return err
			}
		}
		if retireMissing {
			var gone []string
			for _, c := range have {
				if !inFile[c.Code] && c.Active {
					gone = append(gone, c.Code)
				}
			}
			if err := tx.RetireCommunes(ctx, gone); err != nil {
				return err
			}
			res.Retired = len(gone)
		}
		return nil
	})
	return res, err
}

// excelCSV starts a CSV file with a UTF-8 byte-order mark: without it Excel,
// which officials open these files with, reads UTF-8 as the local code page
// and garbles Vietnamese. Import skips the mark.
func excelCSV(w io.Writer) (*csv.Writer, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, fmt.Errorf("writing CSV: %w", err)
	}
	return csv.NewWriter(w), nil
}

// sameCommune: tone-mark placement in the names is no change ("Hiệp Hoà"
// in a file, "Hiệp Hòa" stored): the stored spelling stays.
func sameCommune(a, b domain.Commune) bool {
	na, nb := a, b
	na.Name, na.FullName, nb.Name, nb.FullName = "", "", "", ""
	return na == nb && textfold.SameName(a.Name, b.Name) && textfold.SameName(a.FullName, b.FullName)
}

// ExportCommunes writes every commune, retired ones too, as a file
// ImportCommunes reads back unchanged.
func ExportCommunes(ctx context.Context, db *store.DB, w io.Writer) (int, error) {
	var cs []domain.Commune
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) { cs, err = tx.AllCommunes(ctx); return err }); err != nil {
		return 0, err
	}
	cw, err := excelCSV(w)
	if err != nil {
		return 0, err
	}
	_ = cw.Write(append(slices.Clone(communeRequired), communeOptional...))
	for _, c := range cs {
		_ = cw.Write([]string{c.Code, c.Name, c.FullName, c.Type, c.ProvinceCode, strconv.FormatBool(c.Active)})
	}
	cw.Flush()
	return len(cs), cw.Error()
}

// Courses

var (
	courseRequired = []string{"code", "trade", "title", "provider", "commune_code", "start_date", "length_value", "length_unit", "seats_total", "enrol_deadline"}
	courseOptional = append([]string{"fee_vnd", "certificate", "active", legacySupportCol}, supportCols()...)
	courseCodeRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)
)

// legacySupportCol is the one support figure older files gave for every
// learner: named so that such a file is refused with a reason.
const legacySupportCol = "support_vnd"

// supportCols names the per-group support columns, support_<group>_vnd,
// in domain.LearnerGroups order.
func supportCols() []string {
	var out []string
	for _, g := range domain.LearnerGroups() {
		out = append(out, "support_"+g+"_vnd")
	}
	return out
}

// CourseRecord is a course from a file, with its line.
type CourseRecord struct {
	store.CourseRecord
	Line int
}

// ParseCourseFile reads a course file: code (stable, letters, digits,
// . _ -), trade (a trade code), title, provider, commune_code, start_date
// and enrol_deadline (YYYY-MM-DD), length_value, length_unit (day or week),
// seats_total, and optionally fee_vnd, certificate, active and the
// estimated support per learner group, support_<group>_vnd (empty or 0:
// the data gives none for that group). Seats taken are kept by the
// counsellors and never imported.
func ParseCourseFile(r io.Reader) ([]CourseRecord, error) {
	s := readSheet(r, courseRequired, courseOptional)
	var out []CourseRecord
	first := map[string]int{}
	trades := domain.Trades()
	for i, row := range s.rows {
		l := s.lines[i]
		c := CourseRecord{Line: l, CourseRecord: store.CourseRecord{
			Code:          row["code"],
			Trade:         s.oneOf(l, row, "trade", trades),
			Title:         s.text(l, row, "title", 1, 200),
			Provider:      s.text(l, row, "provider", 1, 200),
			CommuneCode:   s.digits(l, row, "commune_code"),
			StartDate:     s.date(l, row, "start_date"),
			LengthValue:   int(s.integer(l, row, "length_value", 1, 1000)),
			LengthUnit:    s.oneOf(l, row, "length_unit", []string{"day", "week"}),
			FeeVND:        s.integer(l, row, "fee_vnd", 0, 1_000_000_000, 0),
			Certificate:   s.text(l, row, "certificate", 0, 200),
			SeatsTotal:    int(s.integer(l, row, "seats_total", 0, 100_000)),
			EnrolDeadline: s.date(l, row, "enrol_deadline"),
			Active:        s.boolean(l, row, "active", true),
		}}
		var sup domain.GroupSupport
		for j, col := range supportCols() {
			sup[j] = s.integer(l, row, col, 0, 100_000_000, 0)
		}
		c.SetSupport(sup)
		if _, old := row[legacySupportCol]; old && i == 0 {
			s.bad(l, legacySupportCol, ProbLegacySupport, args{"Columns": strings.Join(supportCols(), ", ")})
		}
		if !courseCodeRe.MatchString(c.Code) {
			s.bad(l, "code", ProbCourseCode, args{"Value": quoted(c.Code)})
		}
		if !c.EnrolDeadline.IsZero() && !c.StartDate.IsZero() && c.EnrolDeadline.After(c.StartDate) {
			s.bad(l, "enrol_deadline", ProbDeadlineAfterStart, args{"Deadline": row["enrol_deadline"], "Start": row["start_date"]})
		}
		if f := first[c.Code]; f != 0 {
			s.bad(l, "code", ProbDuplicate, args{"Code": c.Code, "First": f})
		}
		first[c.Code] = l
		out = append(out, c)
	}
	if len(s.probs) > 0 {
		return nil, s.probs
	}
	return out, nil
}

func sameCourse(a, b store.CourseRecord) bool {
	a.SeatsTaken, b.SeatsTaken = 0, 0
	a.StartDate, b.StartDate = dateOnly(a.StartDate), dateOnly(b.StartDate)
	a.EnrolDeadline, b.EnrolDeadline = dateOnly(a.EnrolDeadline), dateOnly(b.EnrolDeadline)
	return a == b
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ImportCourses upserts courses by code; their communes must exist (and be
// active for a new or changed course). With retireMissing, courses absent
// from the file become inactive.
func ImportCourses(ctx context.Context, db *store.DB, recs []CourseRecord, retireMissing bool) (Result, error) {
	var res Result
	err := db.InTx(ctx, func(tx *store.Tx) error {
		res = Result{}
		if err := tx.LockForImport(ctx, "courses"); err != nil {
			return err
		}
		communes, err := communeState(ctx, tx)
		if err != nil {
			return err
		}
		have, err := tx.AllCourses(ctx)
		if err != nil {
			return err
		}
		old := map[string]store.CourseRecord{}
		for _, c := range have {
			old[c.Code] = c
		}
		var probs Problems
		var writes []store.CourseRecord
		inFile := map[string]bool{}
		for _, r := range recs {
			inFile[r.Code] = true
			o, ok := old[r.Code]
			if ok && sameCourse(o, r.CourseRecord) {
				res.Unchanged++
				continue
			}
			probs = communeProblem(probs, communes, r.Line, "commune_code", r.CommuneCode, r.Active)
			if ok {
				res.Changed++
			} else {
				res.Added++
			}
			writes = append(writes, r.CourseRecord)
		}
		if len(probs) > 0 {
			return probs
		}
		for _, c := range writes {
			if err := tx.UpsertCourse(ctx, c); err != nil {
				return err
			}
		}
		if retireMissing {
			var gone []string
			for _, c := range have {
				if !inFile[c.Code] && c.Active {
					gone = append(gone, c.Code)
				}
			}
			if err := tx.RetireCourses(ctx, gone); err != nil {
				return err
			}
			res.Retired = len(gone)
		}
		return nil
	})
	return res, err
}

// ExportCourses writes every course as a file ImportCourses reads back
// unchanged.
func ExportCourses(ctx context.Context, db *store.DB, w io.Writer) (int, error) {
	var cs []store.CourseRecord
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) { cs, err = tx.AllCourses(ctx); return err }); err != nil {
		return 0, err
	}
	cw, err := excelCSV(w)
	if err != nil {
		return 0, err
	}
	head := append(slices.Clone(courseRequired), "fee_vnd", "certificate", "active")
	_ = cw.Write(append(head, supportCols()...))
	for _, c := range cs {
		rec := []string{c.Code, c.Trade, c.Title, c.Provider, c.CommuneCode, c.StartDate.Format("2006-01-02"),
			strconv.Itoa(c.LengthValue), c.LengthUnit, strconv.Itoa(c.SeatsTotal), c.EnrolDeadline.Format("2006-01-02"),
			strconv.FormatInt(c.FeeVND, 10), c.Certificate, strconv.FormatBool(c.Active)}
		for _, v := range c.Support() {
			rec = append(rec, supportCell(v))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return len(cs), cw.Error()
}

// supportCell writes a group with no figure as an empty cell, not "0".
func supportCell(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

// communeProblem adds to probs what is wrong with a row's commune code
// given communeState: none such, or retired where an active one is needed.
func communeProblem(probs Problems, communes map[string]bool, line int, field, code string, needActive bool) Problems {
	active, known := communes[code]
	switch {
	case !known:
		return append(probs, Problem{Line: line, Field: field, Kind: ProbNoCommune, Args: args{"Code": code}})
	case !active && needActive:
		return append(probs, Problem{Line: line, Field: field, Kind: ProbCommuneRetired, Args: args{"Code": code}})
	}
	return probs
}

func communeState(ctx context.Context, tx *store.Tx) (map[string]bool, error) {
	cs, err := tx.AllCommunes(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(cs))
	for _, c := range cs {
		m[c.Code] = c.Active
	}
	return m, nil
}

// Loan days

var loanDayColumns = []string{"commune_code", "day", "place", "starts_at", "ends_at", "capacity"}

// LoanDayRecord is a bank transaction day from a file, with its line.
type LoanDayRecord struct {
	domain.LoanDay
	Line int
}

func loanDayKey(d domain.LoanDay) string {
	return d.CommuneCode + " " + d.Day.Format("2006-01-02") + " " + d.StartsAt
}

// ParseLoanDayFile reads a file of the Bank for Social Policies'
// transaction days: commune_code, day (YYYY-MM-DD), place, starts_at and
// ends_at (HH:MM), capacity (places for appointments).
func ParseLoanDayFile(r io.Reader) ([]LoanDayRecord, error) {
	s := readSheet(r, loanDayColumns, nil)
	var out []LoanDayRecord
	first := map[string]int{}
	for i, row := range s.rows {
		l := s.lines[i]
		d := LoanDayRecord{Line: l, LoanDay: domain.LoanDay{
			CommuneCode: s.digits(l, row, "commune_code"),
			Day:         s.date(l, row, "day"),
			Place:       s.text(l, row, "place", 1, 200),
			StartsAt:    s.clock(l, row, "starts_at"),
			EndsAt:      s.clock(l, row, "ends_at"),
			Capacity:    int(s.integer(l, row, "capacity", 0, 10_000)),
		}}
		if d.StartsAt != "" && d.EndsAt != "" && d.EndsAt <= d.StartsAt {
			s.bad(l, "ends_at", ProbEndsBeforeStart, args{"Ends": d.EndsAt, "Start": d.StartsAt})
		}
		k := loanDayKey(d.LoanDay)
		if f := first[k]; f != 0 {
			s.bad(l, "starts_at", ProbSameStart, args{"First": f})
		}
		first[k] = l
		out = append(out, d)
	}
	if len(s.probs) > 0 {
		return nil, s.probs
	}
	return out, nil
}

// ImportLoanDays upserts transaction days by commune, day and start. A
// day's capacity may not fall below the places already booked; a new or
// changed day needs an active commune.
func ImportLoanDays(ctx context.Context, db *store.DB, recs []LoanDayRecord) (Result, error) {
	var res Result
	err := db.InTx(ctx, func(tx *store.Tx) error {
		res = Result{}
		if err := tx.LockForImport(ctx, "loan_days"); err != nil {
			return err
		}
		communes, err := communeState(ctx, tx)
		if err != nil {
			return err
		}
		have, err := tx.AllLoanDays(ctx)
		if err != nil {
			return err
		}
		old := map[string]domain.LoanDay{}
		for _, d := range have {
			old[loanDayKey(d)] = d
		}
		var probs Problems
		var writes []domain.LoanDay
		for _, r := range recs {
			o, ok := old[loanDayKey(r.LoanDay)]
			if ok && o.Place == r.Place && o.EndsAt == r.EndsAt && o.Capacity == r.Capacity && !o.Sample {
				res.Unchanged++
				continue
			}
			probs = communeProblem(probs, communes, r.Line, "commune_code", r.CommuneCode, true)
			if ok && r.Capacity < o.Booked {
				probs = append(probs, Problem{Line: r.Line, Field: "capacity", Kind: ProbBelowBooked, Args: args{"Capacity": r.Capacity, "Booked": o.Booked}})
			}
			if ok {
				res.Changed++
			} else {
				res.Added++
			}
			writes = append(writes, r.LoanDay)
		}
		if len(probs) > 0 {
			return probs
		}
		for _, d := range writes {
			if _, err := tx.UpsertLoanDay(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// ExportLoanDays writes every transaction day as a file ImportLoanDays
// reads back unchanged.
func ExportLoanDays(ctx context.Context, db *store.DB, w io.Writer) (int, error) {
	var ds []domain.LoanDay
	if err := db.InTx(ctx, func(tx *store.Tx) (err error) { ds, err = tx.AllLoanDays(ctx); return err }); err != nil {
		return 0, err
	}
	cw, err := excelCSV(w)
	if err != nil {
		return 0, err
	}
	_ = cw.Write(loanDayColumns)
	for _, d := range ds {
		_ = cw.Write([]string{d.CommuneCode, d.Day.Format("2006-01-02"), d.Place, d.StartsAt, d.EndsAt, strconv.Itoa(d.Capacity)})
	}
	cw.Flush()
	return len(ds), cw.Error()
}
