package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"reentrybot/store"
)

// The breach commands (docs/privacy/breach-runbook.md): who was affected,
// within the 72 hours the law gives to notify.
//
//	reentrybot audit affected --from T --to T [--staff N] [--telegram-user N] [--case N,N] [--action A] [--csv]
//	reentrybot audit held
//
// Other arguments go to the audit log listing (staff.go).
func cmdAuditAll(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "affected":
			return cmdAffected(ctx, args[1:], stdout)
		case "held":
			return cmdHeld(ctx, stdout)
		}
	}
	return cmdAudit(ctx, args, stdin, stdout, stderr)
}

// parseLocalTime reads "2006-01-02" or "2006-01-02 15:04" (also with a T)
// in the service's time zone.
func parseLocalTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.Replace(strings.TrimSpace(s), "T", " ", 1)
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: use YYYY-MM-DD or YYYY-MM-DD HH:MM", s)
}

func cmdAffected(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flags("audit", stdout)
	from := fs.String("from", "", "start of the window, YYYY-MM-DD [HH:MM] local time (required)")
	to := fs.String("to", "", "end of the window (excluded), YYYY-MM-DD [HH:MM] local time (required)")
	staffID := fs.Int64("staff", 0, "only what this staff member did")
	tgUser := fs.Int64("telegram-user", 0, "only what this Telegram account did")
	casesArg := fs.String("case", "", "only these cases, comma-separated")
	action := fs.String("action", "", "only this audit action (view, card_posted, take, ...)")
	asCSV := fs.Bool("csv", false, "write CSV (UTF-8 with BOM) instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return errors.New("--from and --to are required")
	}
	f := store.AffectedFilter{StaffID: *staffID, TelegramUserID: *tgUser, Action: *action}
	for _, s := range strings.Split(*casesArg, ",") {
		if s = strings.TrimPrefix(strings.TrimSpace(s), "#"); s == "" {
			continue
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("--case: %q is not a case number", s)
		}
		f.CaseIDs = append(f.CaseIDs, id)
	}
	db, cfg, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if f.From, err = parseLocalTime(*from, cfg.TimeZone); err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	if f.To, err = parseLocalTime(*to, cfg.TimeZone); err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	rows, err := db.AffectedPeople(ctx, f)
	if err != nil {
		return err
	}
	cases := func(a store.Affected) string {
		var s []string
		for _, c := range a.Cases {
			s = append(s, "#"+strconv.FormatInt(c, 10))
		}
		return strings.Join(s, " ")
	}
	local := func(t time.Time) string { return t.In(cfg.TimeZone).Format("2006-01-02 15:04") }
	if *asCSV {
		if _, err := io.WriteString(stdout, "\ufeff"); err != nil {
			return err
		}
		w := csv.NewWriter(stdout)
		_ = w.Write([]string{"person_id", "channel", "erased", "reachable", "commune", "cases", "actions", "first", "last"})
		for _, a := range rows {
			_ = w.Write([]string{strconv.FormatInt(a.PersonID, 10), a.Channel, strconv.FormatBool(a.Erased), strconv.FormatBool(a.Reachable),
				a.Commune, cases(a), strings.Join(a.Actions, " "), local(a.First), local(a.Last)})
		}
		w.Flush()
		return w.Error()
	}
	notify, erased := 0, 0
	for _, a := range rows {
		state := "to notify"
		switch {
		case a.Erased:
			state, erased = "erased: nobody to notify", erased+1
		case !a.Reachable:
			state, notify = "to notify (unreachable by the bot: another way)", notify+1
		default:
			notify++
		}
		fmt.Fprintf(stdout, "person %-6d %-9s %-20s cases %-16s %-24s %s – %s  %s\n",
			a.PersonID, a.Channel, a.Commune, cases(a), strings.Join(a.Actions, ","), local(a.First), local(a.Last), state)
	}
	fmt.Fprintf(stdout, "%d people affected: %d to notify, %d erased before\n", len(rows), notify, erased)
	return nil
}

func cmdHeld(ctx context.Context, stdout io.Writer) error {
	db, _, err := openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	held, err := db.PeopleHeld(ctx)
	if err != nil {
		return err
	}
	var chans []string
	total := 0
	for c, n := range held {
		if c != store.ChannelErased {
			chans = append(chans, c)
			total += n
		}
	}
	slices.Sort(chans)
	for _, c := range chans {
		fmt.Fprintf(stdout, "%-10s %d\n", c, held[c])
	}
	fmt.Fprintf(stdout, "%d people whose data the database holds (a leak of the database affects them all)\n", total)
	return nil
}
