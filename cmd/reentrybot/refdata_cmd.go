package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"reentrybot/bot"
	"reentrybot/clock"
	"reentrybot/i18n"
	"reentrybot/refdata"
	"reentrybot/report"
	"reentrybot/store"
)

// parseMixed parses flags given before or after the positional arguments
// ("import courses FILE --retire-missing").
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

const importHelp = `Usage: reentrybot import communes|courses|loan-days|staff FILE [flags]

Reads a CSV file (UTF-8, a header row naming the columns, lines starting
with # ignored), checks every row before writing anything, and writes all
of it in one transaction, upserting by key. A problem names its line and
field. Importing the same file again changes nothing. FILE - reads stdin.

  communes [FILE]  code,name,full_name,type,province_code[,active]
                   without FILE: the built-in list of Bắc Ninh's 99 communes (2025)
  courses FILE     code,trade,title,provider,commune_code,start_date,length_value,
                   length_unit,seats_total,enrol_deadline[,fee_vnd,certificate,active,
                   support_<group>_vnd for disability, poor_ethnic_minority,
                   ethnic_minority, poor, near_poor, other: empty = none given]
  loan-days FILE   commune_code,day,place,starts_at,ends_at,capacity
  staff FILE       role,communes,display_name   (prints one invitation link per row)

Flags:
  --retire-missing   communes, courses: mark those absent from the file inactive
                     (never deleted; people and cases keep their codes)
  --bot USERNAME     staff: the bot's @username (default: asked with TELEGRAM_BOT_TOKEN)
  --expires 168h     staff: how long the links work
`

func cmdImport(ctx context.Context, args []string, stdin io.Reader, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprint(stdout, importHelp) }
	retire := fs.Bool("retire-missing", false, "")
	botName := fs.String("bot", "", "")
	expires := fs.Duration("expires", 7*24*time.Hour, "")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || len(pos) > 2 {
		fs.Usage()
		return errors.New("say what to import, and the file")
	}
	kind, file := pos[0], ""
	if len(pos) == 2 {
		file = pos[1]
	}
	if file == "" && kind != "communes" {
		return fmt.Errorf("import %s: give the CSV file", kind)
	}
	var in io.Reader = stdin
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	named := func(err error) error {
		if file == "" || file == "-" {
			return err
		}
		return fmt.Errorf("%s: %w", file, err)
	}
	// Parse and check the whole file before connecting.
	var run func(context.Context, *store.DB) (string, error)
	switch kind {
	case "communes":
		var recs []refdata.CommuneRecord
		var err error
		if file == "" {
			recs, err = refdata.EmbeddedCommunes()
			fmt.Fprintln(stdout, "no file given: importing the built-in list of Bắc Ninh's communes and wards (2025)")
		} else {
			recs, err = refdata.ParseCommuneFile(in)
		}
		if err != nil {
			return named(err)
		}
		run = func(ctx context.Context, db *store.DB) (string, error) {
			res, err := refdata.ImportCommunes(ctx, db, recs, *retire)
			return res.String(), err
		}
	case "courses":
		recs, err := refdata.ParseCourseFile(in)
		if err != nil {
			return named(err)
		}
		run = func(ctx context.Context, db *store.DB) (string, error) {
			res, err := refdata.ImportCourses(ctx, db, recs, *retire)
			return res.String(), err
		}
	case "loan-days":
		recs, err := refdata.ParseLoanDayFile(in)
		if err != nil {
			return named(err)
		}
		run = func(ctx context.Context, db *store.DB) (string, error) {
			res, err := refdata.ImportLoanDays(ctx, db, recs)
			return res.String(), err
		}
	case "staff":
		recs, err := refdata.ParseStaffFile(in)
		if err != nil {
			return named(err)
		}
		if *expires <= 0 || *expires > 90*24*time.Hour {
			return errors.New("--expires: between 1s and 90 days")
		}
		return importStaff(ctx, recs, *botName, *expires, stdout)
	default:
		return fmt.Errorf("unknown import %q: say communes, courses, loan-days or staff", kind)
	}
	db, _, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	summary, err := run(ctx, db)
	if err != nil {
		return named(err)
	}
	fmt.Fprintf(stdout, "%s: %s\n", kind, summary)
	return nil
}

func importStaff(ctx context.Context, recs []refdata.StaffRecord, botName string, expires time.Duration, stdout io.Writer) error {
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	username := strings.TrimPrefix(botName, "@")
	if username == "" {
		if username, err = botUsername(ctx, cfg); err != nil {
			return err
		}
	}
	until := clock.System().Add(expires)
	invited, err := refdata.ImportStaff(ctx, db, recs, until, bot.NewInviteCode)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d staff invited; each link works once, until %s:\n", len(invited), until.In(cfg.TimeZone).Format("2006-01-02 15:04"))
	for _, s := range invited {
		communes := strings.Join(s.Communes, ",")
		if communes == "" {
			communes = "all"
		}
		fmt.Fprintf(stdout, "staff #%d %s (%s, %s): %s\n", s.ID, s.DisplayName, s.Role, communes, bot.InviteLink(username, s.Code))
	}
	return nil
}

func cmdExport(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flags("export", stdout)
	month := fs.String("month", "", "job-needs: the month registered, YYYY-MM (required)")
	commune := fs.String("commune", "", "job-needs: one commune's code (default: the province); appointments: the commune (required)")
	day := fs.String("day", "", "appointments: the loan day, YYYY-MM-DD (required)")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || len(pos) > 2 {
		fs.Usage()
		return errors.New("say communes, courses, loan-days, job-needs or appointments, and optionally the file")
	}
	export := map[string]func(context.Context, *store.DB, io.Writer) (int, error){
		"communes":  refdata.ExportCommunes,
		"courses":   refdata.ExportCourses,
		"loan-days": refdata.ExportLoanDays,
	}[pos[0]]
	var loc *time.Location // the people's time zone, read with the database
	if pos[0] == "job-needs" {
		if *month == "" {
			return errors.New("job-needs: --month YYYY-MM is required")
		}
		if *commune != "" && !communeCodeRe.MatchString(*commune) {
			return fmt.Errorf("--commune: %q is not a commune code", *commune)
		}
		xlsx := len(pos) == 2 && strings.EqualFold(filepath.Ext(pos[1]), ".xlsx")
		export = func(ctx context.Context, db *store.DB, w io.Writer) (int, error) {
			return exportJobNeeds(ctx, db, w, loc, *month, *commune, xlsx)
		}
	}
	if pos[0] == "appointments" {
		if *day == "" || !communeCodeRe.MatchString(*commune) {
			return errors.New("appointments: --day YYYY-MM-DD and --commune CODE are required")
		}
		if len(pos) != 2 || pos[1] == "-" {
			return errors.New("appointments: name the .xlsx file to write")
		}
		export = func(ctx context.Context, db *store.DB, w io.Writer) (int, error) {
			return exportAppointments(ctx, db, w, loc, *day, *commune)
		}
	}
	if export == nil {
		return fmt.Errorf("unknown export %q: say communes, courses, loan-days, job-needs or appointments", pos[0])
	}
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	loc = cfg.TimeZone
	out, name := stdout, "-"
	if len(pos) == 2 && pos[1] != "-" {
		name = pos[1]
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	n, err := export(ctx, db, out)
	if err != nil {
		return err
	}
	if name != "-" {
		fmt.Fprintf(stdout, "%s: %d rows written to %s\n", pos[0], n, name)
	} else {
		fmt.Fprintf(stderr, "%s: %d rows\n", pos[0], n)
	}
	return nil
}

// exportJobNeeds writes the job needs registered in the month as the
// Employment Service Centre's CSV, or its workbook when xlsx. The file holds personal data, so every
// export is in the audit log (by the server's operator: no staff id).
func exportJobNeeds(ctx context.Context, db *store.DB, w io.Writer, loc *time.Location, month, commune string, xlsx bool) (int, error) {
	from, err := report.ParseMonth(month, loc)
	if err != nil {
		return 0, fmt.Errorf("--month: %w", err)
	}
	needs, err := db.JobNeeds(ctx, from, from.AddDate(0, 1, 0), commune)
	if err != nil {
		return 0, err
	}
	cat, err := i18n.Load(nil)
	if err != nil {
		return 0, err
	}
	where := commune
	if where == "" {
		where = "province"
	}
	detail := fmt.Sprintf("job-needs %s %s: %d rows", from.Format("2006-01"), where, len(needs))
	if err := db.Audit(ctx, 0, 0, "export_job_needs", 0, detail); err != nil {
		return 0, err
	}
	if xlsx {
		return len(needs), report.JobNeedsXLSX(w, needs, cat, "vi", loc)
	}
	return len(needs), report.JobNeedsCSV(w, needs, cat, "vi", loc)
}

// exportAppointments writes a commune's booked appointments of a loan day
// as a workbook for the bank's desk. It names people, so every export is
// in the audit log (by the server's operator: no staff id).
func exportAppointments(ctx context.Context, db *store.DB, w io.Writer, loc *time.Location, day, commune string) (int, error) {
	d, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		return 0, fmt.Errorf("--day: %q: use YYYY-MM-DD", day)
	}
	var name string
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.Commune(ctx, commune)
		name = c.FullName
		return err
	}); err != nil {
		return 0, fmt.Errorf("--commune: %w", err)
	}
	appts, err := db.BookedAppointments(ctx, d, commune)
	if err != nil {
		return 0, err
	}
	cat, err := i18n.Load(nil)
	if err != nil {
		return 0, err
	}
	detail := fmt.Sprintf("appointments %s %s: %d rows", day, commune, len(appts))
	if err := db.Audit(ctx, 0, 0, "export_appointments", 0, detail); err != nil {
		return 0, err
	}
	return len(appts), report.AppointmentsXLSX(w, appts, name, d, cat, "vi", loc)
}
