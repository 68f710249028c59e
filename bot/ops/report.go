// Package ops holds the operations commands of staff: /report (the
// month's figures as a workbook and a chart) and /audit (the audit log),
// and the retention job that erases people inactive too long. It is a
// feature of package bot (bot/features.go): it registers from init, and
// app imports it.
package ops

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"reentrybot/bot"
	"reentrybot/report"
	"reentrybot/store"
)

// feature is the name the routes know these commands by.
const feature = "operations"

// Operations commands: staff only (bot/routes.go).
func init() {
	// In the menus: the report for officers and admins, the audit log for admins.
	bot.RegisterStaffCommand(feature, "report", staffReport, store.RoleOfficer, store.RoleAdmin)
	bot.RegisterStaffCommand(feature, "audit", staffAudit, store.RoleAdmin)
	bot.RegisterJob(feature, 24*time.Hour, retention)
}

// retention erases people inactive for Options.RetentionMonths (daily;
// never when 0).
func retention(ctx context.Context, b *bot.Bot) error {
	months := b.Options().RetentionMonths
	if months <= 0 {
		return nil
	}
	res, err := store.RunRetention(ctx, b.Store(), b.Now(), months)
	if err != nil {
		return fmt.Errorf("retention job: %w", err)
	}
	b.Log().Info("retention job", "people_erased", res.People, "cutoff", res.PeopleCutoff)
	return nil
}

// staffReport sends the month's report (XLSX) and its chart (PNG): the
// province to an admin, their communes to an officer (small numbers
// hidden either way, see package report). It is made after commit.
func staffReport(ctx context.Context, b *bot.Bot, c *bot.StaffCommand) error {
	cat, s, lang := b.Catalog(), c.Staff, c.Lang
	if s.Role != store.RoleAdmin && s.Role != store.RoleOfficer {
		c.Reply(cat.T(lang, "report_not_allowed", nil))
		return c.Tx.Audit(ctx, s.ID, c.From.ID, "denied_report", 0, c.Arg)
	}
	month := report.LastMonth(b.Now(), b.Location())
	if c.Arg != "" {
		m, err := report.ParseMonth(c.Arg, b.Location())
		if err != nil {
			c.Reply(cat.T(lang, "report_usage", nil))
			return nil
		}
		month = m
	}
	aud := report.Audience{Communes: s.Communes}
	if err := c.Tx.Audit(ctx, s.ID, c.From.ID, "report", 0, month.Format("2006-01")); err != nil {
		return err
	}
	chat := c.From.ID
	c.Later(func(ctx context.Context) { sendReport(ctx, b, chat, lang, month, aud) })
	return nil
}

func sendReport(ctx context.Context, b *bot.Bot, chatID int64, lang string, month time.Time, aud report.Audience) {
	cat := b.Catalog()
	b.Uploading(ctx, chatID)
	fail := func(err error) {
		b.Log().Error("making the report", "month", month.Format("2006-01"), "err", err)
		_ = b.SendText(ctx, chatID, cat.T(lang, "report_failed", nil))
	}
	r, err := report.Generate(ctx, b.Store(), month, aud, b.Now())
	if err != nil {
		fail(err)
		return
	}
	var xlsx bytes.Buffer
	if err := r.XLSX(&xlsx, cat, lang); err != nil {
		fail(err)
		return
	}
	chart, err := r.ChartPNG(cat, lang)
	if err != nil {
		fail(err)
		return
	}
	scope := cat.T(lang, "report_scope_province", nil)
	if !aud.Province() {
		scope = cat.T(lang, "report_scope_communes", map[string]any{"Count": len(aud.Communes)})
	}
	m := month.Format("01/2006")
	if b.SendFile(ctx, chatID, false, r.FileName("xlsx"), xlsx.Bytes(), cat.T(lang, "report_caption", map[string]any{"Month": m, "Scope": scope})) != nil {
		return
	}
	_ = b.SendFile(ctx, chatID, true, r.FileName("png"), chart, cat.T(lang, "report_chart_caption", map[string]any{"Month": m}))
}

// auditShown is how many lines /audit shows; the CLI shows all.
const auditShown = 40

// staffAudit answers an admin's /audit case N | staff N | day YYYY-MM-DD.
func staffAudit(ctx context.Context, b *bot.Bot, c *bot.StaffCommand) error {
	cat, s, lang, arg := b.Catalog(), c.Staff, c.Lang, c.Arg
	if s.Role != store.RoleAdmin {
		c.Reply(cat.T(lang, "audit_not_allowed", nil))
		return c.Tx.Audit(ctx, s.ID, c.From.ID, "denied_audit", 0, arg)
	}
	f, what, ok := auditFilter(b, lang, arg)
	if !ok {
		c.Reply(cat.T(lang, "audit_usage", nil))
		return nil
	}
	rows, err := b.Store().AuditLog(ctx, f)
	if err != nil {
		return err
	}
	if err := c.Tx.Audit(ctx, s.ID, c.From.ID, "audit_view", f.CaseID, arg); err != nil {
		return err
	}
	if len(rows) == 0 {
		c.Reply(cat.T(lang, "audit_empty", map[string]any{"What": what}))
		return nil
	}
	lines := []string{cat.T(lang, "audit_header", map[string]any{"What": what, "Count": len(rows)})}
	if len(rows) > auditShown {
		lines = append(lines, cat.T(lang, "audit_more", map[string]any{"Count": len(rows) - auditShown}))
		rows = rows[len(rows)-auditShown:]
	}
	for _, a := range rows {
		who := cat.T(lang, "audit_system", nil)
		switch {
		case a.StaffID.Valid:
			who = fmt.Sprintf("#%d %s", a.StaffID.Int64, bot.Escape(a.StaffName.String))
		case a.TelegramUserID.Valid:
			who = cat.T(lang, "audit_not_staff", map[string]any{"ID": a.TelegramUserID.Int64})
		}
		cs := "–"
		if a.CaseID.Valid {
			cs = "#" + strconv.FormatInt(a.CaseID.Int64, 10)
		}
		lines = append(lines, cat.T(lang, "audit_line", map[string]any{
			"At": a.At.In(b.Location()).Format("02/01 15:04:05"), "Action": bot.Escape(a.Action), "Case": cs, "Who": who, "Detail": bot.Escape(a.Detail),
		}))
	}
	for _, msg := range chunks(lines, 3500) {
		c.Reply(msg)
	}
	return nil
}

// auditFilter reads "case N", "staff N" or "day YYYY-MM-DD".
func auditFilter(b *bot.Bot, lang, arg string) (store.AuditFilter, string, bool) {
	loc := b.Location()
	var f store.AuditFilter
	kind, val, _ := strings.Cut(strings.TrimSpace(arg), " ")
	val = strings.TrimPrefix(strings.TrimSpace(val), "#")
	switch strings.ToLower(kind) {
	case "case", "staff":
		id, err := strconv.ParseInt(val, 10, 64)
		if err != nil || id <= 0 {
			return f, "", false
		}
		if kind == "case" {
			f.CaseID = id
		} else {
			f.StaffID = id
		}
		return f, b.Catalog().T(lang, "audit_what_"+strings.ToLower(kind), map[string]any{"ID": id}), true
	case "day":
		d, err := time.ParseInLocation("2006-01-02", val, loc)
		if err != nil {
			return f, "", false
		}
		f.Day, f.Loc = d, loc
		return f, b.Catalog().T(lang, "audit_what_day", map[string]any{"Day": d.Format("02/01/2006")}), true
	}
	return f, "", false
}

// chunks joins lines into messages of at most max UTF-16 units.
func chunks(lines []string, max int) []string {
	var out []string
	var cur strings.Builder
	n := 0
	for _, l := range lines {
		ln := len(utf16.Encode([]rune(l))) + 1
		if n > 0 && n+ln > max {
			out = append(out, cur.String())
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteString("\n")
		}
		cur.WriteString(l)
		n += ln
	}
	if n > 0 {
		out = append(out, cur.String())
	}
	return out
}
