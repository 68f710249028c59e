package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"reentrybot/clock"
	"reentrybot/config"
	"reentrybot/i18n"
	"reentrybot/report"
	"reentrybot/store"
)

func cmdReport(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("report", stdout)
	month := fs.String("month", "", "YYYY-MM (default: last month, in TIME_ZONE)")
	format := fs.String("format", "xlsx", "csv or xlsx")
	out := fs.String("out", "", "file to write, - for stdout (default: bao-cao-YYYY-MM.xlsx, or stdout for csv)")
	chart := fs.String("chart", "", "also write the chart of cases by commune and outcome to this PNG file")
	communes := fs.String("communes", "", "commune codes separated by commas: a commune officer's report (their communes only, no province row)")
	lang := fs.String("lang", "vi", "vi or en")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "csv" && *format != "xlsx" {
		return errors.New("--format: csv or xlsx")
	}
	if *lang != "vi" && *lang != "en" {
		return errors.New("--lang: vi or en")
	}
	var aud report.Audience
	for _, c := range strings.Split(*communes, ",") {
		if c = strings.TrimSpace(c); c != "" {
			if !communeCodeRe.MatchString(c) {
				return fmt.Errorf("--communes: %q is not a commune code", c)
			}
			aud.Communes = append(aud.Communes, c)
		}
	}
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	m := report.LastMonth(clock.System(), cfg.TimeZone)
	if *month != "" {
		if m, err = report.ParseMonth(*month, cfg.TimeZone); err != nil {
			return fmt.Errorf("--month: %w", err)
		}
	}
	cat, err := i18n.Load(nil)
	if err != nil {
		return err
	}
	r, err := report.Generate(ctx, db, m, aud, clock.System())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if *format == "csv" {
		err = r.CSV(&buf, cat, *lang)
	} else {
		err = r.XLSX(&buf, cat, *lang)
	}
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = r.FileName(*format)
		if *format == "csv" {
			path = "-"
		}
	}
	if path == "-" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	} else {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "report for %s: %d communes, written to %s\n", m.Format("2006-01"), len(r.Rows), path)
	}
	if *chart != "" {
		png, err := r.ChartPNG(cat, *lang)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*chart, png, 0o644); err != nil {
			return err
		}
		if path != "-" {
			fmt.Fprintf(stdout, "chart written to %s\n", *chart)
		}
	}
	return nil
}

// retentionMonths reads RETENTION_MONTHS through the configuration.
func retentionMonths() (int, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return 0, fmt.Errorf("configuration:\n%w", err)
	}
	if cfg.RetentionMonths == 0 {
		return store.DefaultRetentionMonths, nil
	}
	return cfg.RetentionMonths, nil
}

func cmdRetention(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := flags("retention", stdout)
	dry := fs.Bool("dry-run", false, "count what would be erased, erase nothing")
	def, err := retentionMonths()
	if err != nil {
		return err
	}
	months := fs.Int("months", def, "erase people not seen for this many months (RETENTION_MONTHS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	now := clock.System()
	run := store.RunRetention
	if *dry {
		run = store.PreviewRetention
	}
	res, err := run(ctx, db, now, *months)
	if err != nil {
		return err
	}
	verb := "erased"
	if res.DryRun {
		verb = "would erase"
	}
	day := func(t time.Time) string { return t.In(cfg.TimeZone).Format("2006-01-02") }
	fmt.Fprintf(stdout, "%s the data of %d people not seen since %s\n", verb, res.People, day(res.PeopleCutoff))
	fmt.Fprintf(stdout, "%s %d message texts of cases closed before %s\n", verb, res.Events, day(res.EventsCutoff))
	return nil
}
