package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"reentrybot/flows"
	"reentrybot/report"
	"reentrybot/store"
)

// sendFile uploads a document (or, with photo, a picture) through the
// sender. The upload is rebuilt for each attempt.
func (b *Bot) sendFile(ctx context.Context, chatID int64, photo bool, name string, data []byte, caption string) error {
	method := "sendDocument"
	if photo {
		method = "sendPhoto"
	}
	err := b.send.Do(ctx, Target{ChatID: chatID}, method, func(ctx context.Context) error {
		up := &models.InputFileUpload{Filename: name, Data: bytes.NewReader(data)}
		var err error
		if photo {
			_, err = b.api.SendPhoto(ctx, &tg.SendPhotoParams{ChatID: chatID, Photo: up, Caption: caption, ParseMode: models.ParseModeHTML})
		} else {
			_, err = b.api.SendDocument(ctx, &tg.SendDocumentParams{ChatID: chatID, Document: up, Caption: caption, ParseMode: models.ParseModeHTML})
		}
		return err
	})
	if err != nil && !errors.Is(err, ErrUnreachable) {
		b.log.Error("sending a file", "chat", chatID, "method", method, "err", err)
	}
	return err
}

// sendAttachment sends a reply's file (render.go).
func (b *Bot) sendAttachment(ctx context.Context, chatID int64, lang string, a *flows.Attachment) error {
	caption := ""
	if a.Caption != "" {
		caption = b.cat.T(lang, a.Caption, escapeParams(a.CaptionParams))
	}
	return b.sendFile(ctx, chatID, false, a.Name, a.Data, caption)
}

// Operations commands: staff only (routes.go).
func init() {
	admin := func(b *Bot, ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, _ *models.Message, in flows.Input) error {
		return b.adminCommand(ctx, tx, fx, s, from, in.Command, in.Arg)
	}
	routes.command("report", command{feature: "operations", staffOnly: true, staff: admin})
	routes.command("audit", command{feature: "operations", staffOnly: true, staff: admin})
}

// adminCommand answers /report and /audit in a staff member's private chat.
func (b *Bot) adminCommand(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, cmd, arg string) error {
	if cmd == "audit" {
		return b.staffAudit(ctx, tx, fx, s, from, arg)
	}
	return b.staffReport(ctx, tx, fx, s, from, arg)
}

// staffReport sends the month's report (XLSX) and its chart (PNG): the
// province to an admin, their communes to an officer (small numbers
// hidden either way, see package report). It is made after commit.
func (b *Bot) staffReport(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, arg string) error {
	lang := staffLang(from)
	if s.Role != store.RoleAdmin && s.Role != store.RoleOfficer {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "report_not_allowed", nil), nil)
		return tx.Audit(ctx, s.ID, from.ID, "denied_report", 0, arg)
	}
	month := report.LastMonth(b.now(), b.loc)
	if arg != "" {
		m, err := report.ParseMonth(arg, b.loc)
		if err != nil {
			b.replyAfter(fx, from.ID, b.cat.T(lang, "report_usage", nil), nil)
			return nil
		}
		month = m
	}
	aud := report.Audience{Communes: s.Communes}
	if err := tx.Audit(ctx, s.ID, from.ID, "report", 0, month.Format("2006-01")); err != nil {
		return err
	}
	fx.add(func() {
		b.outbox.submit(b.sendCtx, from.ID, func(context.Context) error {
			b.sendReport(b.sendCtx, from.ID, lang, month, aud)
			return nil
		})
	})
	return nil
}

func (b *Bot) sendReport(ctx context.Context, chatID int64, lang string, month time.Time, aud report.Audience) {
	b.uploading(ctx, chatID) // menus.go
	fail := func(err error) {
		b.log.Error("making the report", "month", month.Format("2006-01"), "err", err)
		_ = b.sendText(ctx, chatID, b.cat.T(lang, "report_failed", nil), nil)
	}
	r, err := report.Generate(ctx, b.db, month, aud, b.now())
	if err != nil {
		fail(err)
		return
	}
	var xlsx bytes.Buffer
	if err := r.XLSX(&xlsx, b.cat, lang); err != nil {
		fail(err)
		return
	}
	chart, err := r.ChartPNG(b.cat, lang)
	if err != nil {
		fail(err)
		return
	}
	scope := b.cat.T(lang, "report_scope_province", nil)
	if !aud.Province() {
		scope = b.cat.T(lang, "report_scope_communes", map[string]any{"Count": len(aud.Communes)})
	}
	m := month.Format("01/2006")
	if b.sendFile(ctx, chatID, false, r.FileName("xlsx"), xlsx.Bytes(), b.cat.T(lang, "report_caption", map[string]any{"Month": m, "Scope": scope})) != nil {
		return
	}
	_ = b.sendFile(ctx, chatID, true, r.FileName("png"), chart, b.cat.T(lang, "report_chart_caption", map[string]any{"Month": m}))
}

// auditShown is how many lines /audit shows; the CLI shows all.
const auditShown = 40

// staffAudit answers an admin's /audit case N | staff N | day YYYY-MM-DD.
func (b *Bot) staffAudit(ctx context.Context, tx *store.Tx, fx *effects, s store.Staff, from models.User, arg string) error {
	lang := staffLang(from)
	if s.Role != store.RoleAdmin {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "audit_not_allowed", nil), nil)
		return tx.Audit(ctx, s.ID, from.ID, "denied_audit", 0, arg)
	}
	f, what, ok := b.auditFilter(lang, arg)
	if !ok {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "audit_usage", nil), nil)
		return nil
	}
	rows, err := b.db.AuditLog(ctx, f)
	if err != nil {
		return err
	}
	if err := tx.Audit(ctx, s.ID, from.ID, "audit_view", f.CaseID, arg); err != nil {
		return err
	}
	if len(rows) == 0 {
		b.replyAfter(fx, from.ID, b.cat.T(lang, "audit_empty", map[string]any{"What": what}), nil)
		return nil
	}
	lines := []string{b.cat.T(lang, "audit_header", map[string]any{"What": what, "Count": len(rows)})}
	if len(rows) > auditShown {
		lines = append(lines, b.cat.T(lang, "audit_more", map[string]any{"Count": len(rows) - auditShown}))
		rows = rows[len(rows)-auditShown:]
	}
	for _, a := range rows {
		who := b.cat.T(lang, "audit_system", nil)
		switch {
		case a.StaffID.Valid:
			who = fmt.Sprintf("#%d %s", a.StaffID.Int64, escape(a.StaffName.String))
		case a.TelegramUserID.Valid:
			who = b.cat.T(lang, "audit_not_staff", map[string]any{"ID": a.TelegramUserID.Int64})
		}
		c := "–"
		if a.CaseID.Valid {
			c = "#" + strconv.FormatInt(a.CaseID.Int64, 10)
		}
		lines = append(lines, b.cat.T(lang, "audit_line", map[string]any{
			"At": a.At.In(b.loc).Format("02/01 15:04:05"), "Action": escape(a.Action), "Case": c, "Who": who, "Detail": escape(a.Detail),
		}))
	}
	for _, msg := range chunks(lines, 3500) {
		b.replyAfter(fx, from.ID, msg, nil)
	}
	return nil
}

// auditFilter reads "case N", "staff N" or "day YYYY-MM-DD".
func (b *Bot) auditFilter(lang, arg string) (store.AuditFilter, string, bool) {
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
		return f, b.cat.T(lang, "audit_what_"+strings.ToLower(kind), map[string]any{"ID": id}), true
	case "day":
		d, err := time.ParseInLocation("2006-01-02", val, b.loc)
		if err != nil {
			return f, "", false
		}
		f.Day, f.Loc = d, b.loc
		return f, b.cat.T(lang, "audit_what_day", map[string]any{"Day": d.Format("02/01/2006")}), true
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
