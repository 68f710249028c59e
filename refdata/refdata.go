// Package refdata carries reference data into the project: the communes
// and wards of Bắc Ninh (2025), a sample course catalogue and a generator
// of sample bank transaction days, for demos and tests. The sample data is
// marked sample in the database.
package refdata

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"reentrybot/domain"
	"reentrybot/textfold"
)

//go:embed communes-bac-ninh-2025.csv
var communesCSV []byte

//go:embed sample-courses.csv
var sampleCoursesCSV []byte

// CommuneWriter stores communes; *store.Tx implements it.
type CommuneWriter interface {
	UpsertCommune(ctx context.Context, c domain.Commune, searchKey string) error
}

// Writer stores every kind of reference data; *store.Tx implements it.
type Writer interface {
	CommuneWriter
	InsertCourse(ctx context.Context, c domain.Course) (int64, error)
	UpsertLoanDay(ctx context.Context, d domain.LoanDay) (int64, error)
}

// Communes returns the embedded list of Bắc Ninh's communes and wards.
func Communes() ([]domain.Commune, error) { return ParseCommunes(bytes.NewReader(communesCSV)) }

// ParseCommunes reads a communes CSV (code,name,full_name,type,
// province_code) and validates every row; one bad row fails the whole file.
func ParseCommunes(r io.Reader) ([]domain.Commune, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = 5
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("communes: reading the header: %w", err)
	}
	want := []string{"code", "name", "full_name", "type", "province_code"}
	for i, h := range head {
		if strings.TrimPrefix(strings.TrimSpace(h), "\ufeff") != want[i] {
			return nil, fmt.Errorf("communes: header %v, want %v", head, want)
		}
	}
	var out []domain.Commune
	seen := map[string]int{}
	var errs []error
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("communes: %w", err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(norm.NFC.String(rec[i]))
		}
		c := domain.Commune{Code: rec[0], Name: rec[1], FullName: rec[2], Type: rec[3], ProvinceCode: rec[4], Active: true}
		switch {
		case !digits(c.Code):
			errs = append(errs, fmt.Errorf("line %d: code %q is not digits", line, c.Code))
		case c.Name == "" || utf8.RuneCountInString(c.Name) > 100:
			errs = append(errs, fmt.Errorf("line %d: bad name %q", line, c.Name))
		case c.FullName == "":
			errs = append(errs, fmt.Errorf("line %d: empty full name", line))
		case c.Type != "commune" && c.Type != "ward":
			errs = append(errs, fmt.Errorf("line %d: type %q is neither commune nor ward", line, c.Type))
		case !digits(c.ProvinceCode):
			errs = append(errs, fmt.Errorf("line %d: province code %q is not digits", line, c.ProvinceCode))
		case seen[c.Code] != 0:
			errs = append(errs, fmt.Errorf("line %d: code %s already on line %d", line, c.Code, seen[c.Code]))
		}
		seen[c.Code] = line
		out = append(out, c)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("communes: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("communes: no rows")
	}
	return out, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// LoadCommunes validates the embedded communes and upserts them by code.
// Run it inside one transaction: it validates everything before writing,
// and a failed write fails the transaction.
func LoadCommunes(ctx context.Context, w CommuneWriter) (int, error) {
	cs, err := Communes()
	if err != nil {
		return 0, err
	}
	return UpsertCommunes(ctx, w, cs)
}

// UpsertCommunes writes validated communes with their folded search keys.
func UpsertCommunes(ctx context.Context, w CommuneWriter, cs []domain.Commune) (int, error) {
	for _, c := range cs {
		if err := w.UpsertCommune(ctx, c, textfold.Fold(c.Name)); err != nil {
			return 0, err
		}
	}
	return len(cs), nil
}

// SampleCourses returns the sample course catalogue with dates counted
// from today. Every course is marked Sample.
func SampleCourses(today time.Time) ([]domain.Course, error) {
	cr := csv.NewReader(bytes.NewReader(sampleCoursesCSV))
	cr.Comment = '#'
	cr.FieldsPerRecord = 13 + len(domain.GroupSupport{})
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("sample courses: %w", err)
	}
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	var out []domain.Course
	for i, r := range recs[1:] {
		// Numbers: the day offsets, length, fee, seats and the support
		// columns (13 on; an empty support cell is no figure).
		n := make([]int64, len(r))
		for _, j := range append([]int{4, 5, 7, 9, 10, 11}, 13, 14, 15, 16, 17, 18) {
			if j >= 13 && r[j] == "" {
				continue
			}
			if n[j], err = strconv.ParseInt(r[j], 10, 64); err != nil {
				return nil, fmt.Errorf("sample courses: row %d column %d: %w", i+2, j+1, err)
			}
		}
		var sup domain.GroupSupport
		copy(sup[:], n[13:])
		out = append(out, domain.Course{
			Trade: r[0], Title: r[1], Provider: r[2], CommuneCode: r[3],
			StartDate: day.AddDate(0, 0, int(n[4])), LengthValue: int(n[5]), LengthUnit: r[6],
			FeeVND: n[7], Support: sup, Certificate: r[8], SeatsTotal: int(n[9]), SeatsTaken: int(n[10]),
			EnrolDeadline: day.AddDate(0, 0, int(n[11])), Active: r[12] == "true", Sample: true,
		})
	}
	return out, nil
}

// LoadSampleCourses inserts the sample catalogue.
func LoadSampleCourses(ctx context.Context, w Writer, today time.Time) ([]int64, error) {
	cs, err := SampleCourses(today)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, c := range cs {
		id, err := w.InsertCourse(ctx, c)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// SampleLoanDays makes bank transaction days for demos and tests: for
// each commune, the given number of Tuesdays from today on (today
// included), 07:30–11:00 at the commune's People's Committee, capacity
// places each. Every day is marked Sample.
func SampleLoanDays(communes []domain.Commune, today time.Time, count, capacity int) []domain.LoanDay {
	day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	for day.Weekday() != time.Tuesday {
		day = day.AddDate(0, 0, 1)
	}
	var out []domain.LoanDay
	for _, c := range communes {
		for i := range count {
			out = append(out, domain.LoanDay{
				CommuneCode: c.Code, Day: day.AddDate(0, 0, 7*i), Place: "Trụ sở UBND " + map[string]string{"ward": "phường ", "commune": "xã "}[c.Type] + c.Name,
				StartsAt: "07:30", EndsAt: "11:00", Capacity: capacity, Sample: true,
			})
		}
	}
	return out
}

// LoadLoanDays writes loan days (upserted by commune, day and start).
func LoadLoanDays(ctx context.Context, w Writer, days []domain.LoanDay) ([]int64, error) {
	var ids []int64
	for _, d := range days {
		id, err := w.UpsertLoanDay(ctx, d)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}
