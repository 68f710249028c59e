package refdata_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"reentrybot/dbtest"
	"reentrybot/refdata"
	"reentrybot/store"
)

// Every kind of problem is found where it should be, and its English
// wording (the CLI's) has every value it names: a kind whose Args miss
// one would print as the kind and a map.
func TestProblemKinds(t *testing.T) {
	const communes = "code,name,full_name,type,province_code\n"
	const loanDays = "commune_code,day,place,starts_at,ends_at,capacity\n"
	const courses = "code,trade,title,provider,commune_code,start_date,length_value,length_unit,seats_total,enrol_deadline\n"
	const course = "K1,garment,May,Trường A,07210,2026-12-14,8,week,25,2026-12-07"
	parse := map[string]func(io.Reader) error{
		"communes":  func(r io.Reader) error { _, err := refdata.ParseCommuneFile(r); return err },
		"courses":   func(r io.Reader) error { _, err := refdata.ParseCourseFile(r); return err },
		"loan-days": func(r io.Reader) error { _, err := refdata.ParseLoanDayFile(r); return err },
		"staff":     func(r io.Reader) error { _, err := refdata.ParseStaffFile(r); return err },
	}
	seen := map[refdata.ProblemKind]bool{}
	check := func(what string, err error, want refdata.ProblemKind, says string) {
		t.Helper()
		var ps refdata.Problems
		if !errors.As(err, &ps) {
			t.Errorf("%s: no problems: %v", what, err)
			return
		}
		for _, p := range ps {
			if p.Kind == want {
				seen[want] = true
				if e := p.English(); !strings.Contains(e, says) || strings.Contains(e, "map[") {
					t.Errorf("%s: %q, want it to say %q", what, e, says)
				}
				return
			}
		}
		t.Errorf("%s: no %s in %v", what, want, ps)
	}
	for _, tt := range []struct {
		kind refdata.ProblemKind
		file string
		in   io.Reader
		says string
	}{
		{refdata.ProbEmptyFile, "communes", strings.NewReader(""), "columns: code,name,full_name,type,province_code"},
		{refdata.ProbBareQuote, "communes", strings.NewReader(communes + "07210,Bắc \"Giang,P,ward,10\n"), `write the mark twice ("")`},
		{refdata.ProbQuote, "communes", strings.NewReader(communes + "07210,\"Bắc Giang,P,ward,10\n"), "is not closed"},
		{refdata.ProbUnreadable, "communes", iotest.ErrReader(errors.New("disk gone")), "cannot be read as CSV: disk gone"},
		{refdata.ProbUnknownColumn, "communes", strings.NewReader(strings.TrimSuffix(communes, "\n") + ",colour\n"), "expected code,name"},
		{refdata.ProbColumnTwice, "communes", strings.NewReader("code," + communes), "column given twice"},
		{refdata.ProbColumnMissing, "communes", strings.NewReader("code,name\n07210,B\n"), "column missing"},
		{refdata.ProbFieldCount, "communes", strings.NewReader(communes + "07210,B\n"), "2 fields, the header has 5"},
		{refdata.ProbNotUTF8, "communes", strings.NewReader(communes + "07210,B\xff,P,ward,10\n"), "not valid UTF-8"},
		{refdata.ProbNoRows, "communes", strings.NewReader(communes), "no rows"},
		{refdata.ProbEmpty, "communes", strings.NewReader(communes + "07210,,P,ward,10\n"), "is empty"},
		{refdata.ProbLength, "communes", strings.NewReader(communes + "07210," + strings.Repeat("á", 101) + ",P,ward,10\n"), "101 characters, must be 1 to 100"},
		{refdata.ProbOneLine, "communes", strings.NewReader(communes + "07210,\"Bắc\nGiang\",P,ward,10\n"), "one line"},
		{refdata.ProbNotDigits, "communes", strings.NewReader(communes + "0721x,B,P,ward,10\n"), `"0721x" is not a code of digits`},
		{refdata.ProbNotOneOf, "communes", strings.NewReader(communes + "07210,B,P,district,10\n"), `"district": must be one of commune, ward`},
		{refdata.ProbNotBoolean, "communes", strings.NewReader(strings.TrimSuffix(communes, "\n") + ",active\n07210,B,P,ward,10,maybe\n"), `"maybe": must be true or false`},
		{refdata.ProbDuplicate, "communes", strings.NewReader(communes + "07210,B,P,ward,10\n07210,B,P,ward,10\n"), "07210 already on line 2"},
		{refdata.ProbNotInteger, "loan-days", strings.NewReader(loanDays + "07840,2026-12-08,UBND,07:30,11:00,hai\n"), `"hai": must be a whole number from 0 to 10000`},
		{refdata.ProbNotDate, "loan-days", strings.NewReader(loanDays + "07840,08/12/2026,UBND,07:30,11:00,20\n"), `"08/12/2026": must be a date`},
		{refdata.ProbNotClock, "loan-days", strings.NewReader(loanDays + "07840,2026-12-08,UBND,7h30,11:00,20\n"), `"7h30": must be a time`},
		{refdata.ProbEndsBeforeStart, "loan-days", strings.NewReader(loanDays + "07840,2026-12-08,UBND,11:00,07:30,20\n"), "07:30 is not after the start 11:00"},
		{refdata.ProbSameStart, "loan-days", strings.NewReader(loanDays + "07840,2026-12-08,UBND,07:30,11:00,20\n07840,2026-12-08,UBND,07:30,11:30,20\n"), "already on line 2"},
		{refdata.ProbLegacySupport, "courses", strings.NewReader(strings.TrimSuffix(courses, "\n") + ",support_vnd\n" + course + ",3000000\n"), "support_poor_vnd"},
		{refdata.ProbCourseCode, "courses", strings.NewReader(courses + "K 1" + strings.TrimPrefix(course, "K1") + "\n"), `"K 1": 1 to 40 letters`},
		{refdata.ProbDeadlineAfterStart, "courses", strings.NewReader(courses + strings.Replace(course, "2026-12-07", "2026-12-20", 1) + "\n"), "2026-12-20 is after the start date 2026-12-14"},
		{refdata.ProbOfficerAll, "staff", strings.NewReader("role,communes,display_name\nofficer,all,Cán bộ\n"), "not all"},
		{refdata.ProbCommunesEmpty, "staff", strings.NewReader("role,communes,display_name\ncounsellor,,Chị Hoa\n"), "or all"},
		{refdata.ProbNotCommuneCode, "staff", strings.NewReader("role,communes,display_name\ncounsellor,07x,Chị Hoa\n"), `"07x" is not a commune code`},
	} {
		check(string(tt.kind), parse[tt.file](tt.in), tt.kind, tt.says)
	}

	// What only the database tells: an unknown commune, a retired one.
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	if _, err := db.X.Exec(`UPDATE communes SET active = false WHERE code = '07840'`); err != nil {
		t.Fatal(err)
	}
	recs, err := refdata.ParseLoanDayFile(strings.NewReader(loanDays + "07840,2026-12-08,UBND,07:30,11:00,20\n99999,2026-12-08,UBND,07:30,11:00,20\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = refdata.ImportLoanDays(ctx, db, recs)
	check("retired", err, refdata.ProbCommuneRetired, "commune 07840 is retired")
	check("unknown", err, refdata.ProbNoCommune, "no commune 99999")
	seen[refdata.ProbBelowBooked] = true // TestImportLoanDays, with a booking
	for _, k := range refdata.ProblemKinds() {
		if !seen[k] {
			t.Errorf("%s: never found", k)
		}
	}
}
