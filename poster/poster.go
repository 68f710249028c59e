// Package poster lays out the A4 poster a commune office hangs on its wall:
// what the service helps with, that it is free, a QR code per way in (the
// web chat, Telegram, Zalo), each carrying the commune, and the Employment
// Service Centre's phone. Vietnamese, printable in black and white.
package poster

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"

	"reentrybot/config"
	"reentrybot/flows"
	"reentrybot/i18n"
)

// Code is one QR code on the poster: a way in, and the link it opens.
type Code struct {
	Label string // catalog key of the caption
	URL   string
}

// Poster is one commune's poster.
type Poster struct {
	Commune flows.Commune
	Codes   []Code // web chat first
	Phone   string
	// Made dates the PDF (the program's clock, not the machine's).
	Made time.Time
}

// ErrNoWebChat: without PUBLIC_URL there is no web chat link to print.
var ErrNoWebChat = errors.New("PUBLIC_URL is not set: the poster's main code opens the web chat at PUBLIC_URL/chat")

// ErrNoPhone: a poster without the Centre's phone leaves people who cannot
// scan with nothing.
var ErrNoPhone = errors.New("CENTRE_PHONE is not set: the poster gives the Employment Service Centre's phone number")

// Check says whether the settings make a poster: the web chat's address
// and the Centre's phone are both needed.
func Check(r config.Reach) error {
	var errs []error
	if r.PublicURL == "" {
		errs = append(errs, ErrNoWebChat)
	}
	if r.CentrePhone == "" {
		errs = append(errs, ErrNoPhone)
	}
	return errors.Join(errs...)
}

// WebChatLink is the web chat page that knows the commune.
func WebChatLink(publicURL, code string) string {
	return strings.TrimRight(publicURL, "/") + "/chat?c=" + url.QueryEscape(code)
}

// TelegramLink opens the bot with "/start c_<code>".
func TelegramLink(bot, code string) string {
	return "https://t.me/" + strings.TrimPrefix(bot, "@") + "?start=" + flows.HintPrefix + code
}

// For is the poster of commune c with the configured ways in; bot is the
// Telegram bot's username ("" leaves Telegram out).
func For(r config.Reach, bot string, c flows.Commune, made time.Time) (Poster, error) {
	if err := Check(r); err != nil {
		return Poster{}, err
	}
	p := Poster{Commune: c, Phone: r.CentrePhone, Made: made,
		Codes: []Code{{"poster_web", WebChatLink(r.PublicURL, c.Code)}}}
	if bot != "" {
		p.Codes = append(p.Codes, Code{"poster_telegram", TelegramLink(bot, c.Code)})
	}
	if r.ZaloOALink != "" {
		// The OA's link carries no commune: the person picks it in the
		// profile as usual.
		p.Codes = append(p.Codes, Code{"poster_zalo", r.ZaloOALink})
	}
	return p, nil
}

// FileName is the poster's file name, by the commune's official code.
func FileName(c flows.Commune) string {
	return "poster-" + c.Code + ".pdf"
}

// CommuneLabel is "Xã Tân Yên" from the full name "Xã Tân Yên, Tỉnh Bắc Ninh".
func CommuneLabel(c flows.Commune) string {
	if name, _, ok := strings.Cut(c.FullName, ","); ok && name != "" {
		return name
	}
	return c.Name
}

// Page geometry, in millimetres (A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	margin       = 15.0
	inner        = pageW - 2*margin
	font         = "LiberationSans"
)

// Colours: dark enough to print in black and white.
var (
	ink    = [3]int{20, 33, 43}
	accent = [3]int{12, 84, 110}
	warm   = [3]int{176, 58, 0}
)

// Write renders the poster as a PDF in the catalog's Vietnamese.
func Write(w io.Writer, cat *i18n.Catalog, p Poster) error {
	if len(p.Codes) == 0 || len(p.Codes) > 3 {
		return fmt.Errorf("poster: %d codes; one to three fit", len(p.Codes))
	}
	t := func(key string, params map[string]any) string { return cat.T("vi", key, params) }
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(p.Made)
	pdf.SetModificationDate(p.Made)
	pdf.SetTitle(t("poster_title", nil)+" – "+CommuneLabel(p.Commune), true)
	pdf.SetAuthor(t("poster_service", nil), true)
	pdf.SetLang("vi")
	pdf.SetCatalogSort(true) // fonts in a fixed order: the same poster, the same bytes
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, margin)
	// The font travels in the file: Vietnamese needs glyphs (ạ, ở, ữ …)
	// no standard PDF font has.
	pdf.AddUTF8FontFromBytes(font, "", liberationsansregular.TTF)
	pdf.AddUTF8FontFromBytes(font, "B", liberationsansbold.TTF)
	pdf.AddPage()

	text := func(style string, size float64, c [3]int) {
		pdf.SetFont(font, style, size)
		pdf.SetTextColor(c[0], c[1], c[2])
	}

	// Band: what it is, and whose.
	pdf.SetFillColor(accent[0], accent[1], accent[2])
	pdf.Rect(0, 0, pageW, 40, "F")
	pdf.SetXY(margin, 11)
	text("B", 25, [3]int{255, 255, 255})
	pdf.MultiCell(inner, 11, t("poster_title", nil), "", "C", false)
	pdf.SetX(margin)
	text("", 15, [3]int{255, 255, 255})
	pdf.MultiCell(inner, 8, t("poster_service", nil), "", "C", false)

	pdf.SetXY(margin, 50)
	text("B", 19, ink)
	pdf.MultiCell(inner, 9, t("poster_for", map[string]any{"Commune": CommuneLabel(p.Commune)}), "", "C", false)

	// FREE, boxed.
	y := pdf.GetY() + 3
	text("B", 30, warm)
	free := t("poster_free", nil)
	fw := pdf.GetStringWidth(free) + 16
	pdf.SetDrawColor(warm[0], warm[1], warm[2])
	pdf.SetLineWidth(1.2)
	pdf.RoundedRect((pageW-fw)/2, y, fw, 16, 3, "1234", "D")
	pdf.SetXY((pageW-fw)/2, y)
	pdf.CellFormat(fw, 16, free, "", 1, "CM", false, 0, "")

	// What it helps with.
	pdf.SetXY(margin, y+22)
	text("B", 16, ink)
	pdf.MultiCell(inner, 8, t("poster_helps", nil), "", "L", false)
	for _, k := range []string{"poster_help_job", "poster_help_course", "poster_help_loan", "poster_help_counsel"} {
		pdf.SetX(margin + 2)
		text("B", 15, accent)
		pdf.CellFormat(7, 8, "•", "", 0, "L", false, 0, "")
		text("", 15, ink)
		pdf.MultiCell(inner-9, 7.5, t(k, nil), "", "L", false)
	}
	pdf.SetXY(margin, pdf.GetY()+2)
	text("", 12, ink)
	pdf.MultiCell(inner, 6, t("poster_free_note", nil), "", "L", false)

	// The codes, side by side.
	y = pdf.GetY() + 6
	pdf.SetDrawColor(ink[0], ink[1], ink[2])
	pdf.SetLineWidth(0.3)
	pdf.Line(margin, y, pageW-margin, y)
	pdf.SetXY(margin, y+4)
	text("B", 17, ink)
	pdf.MultiCell(inner, 9, t("poster_scan", nil), "", "C", false)
	y = pdf.GetY() + 2
	cell := inner / float64(len(p.Codes))
	side := min(cell-10, 62.0)
	for i, c := range p.Codes {
		x := margin + float64(i)*cell
		pdf.SetXY(x, y)
		text("B", 13, accent)
		pdf.MultiCell(cell, 6, t(c.Label, nil), "", "C", false)
		if err := drawQR(pdf, c.URL, x+(cell-side)/2, y+14, side); err != nil {
			return err
		}
		pdf.SetXY(x, y+14+side+1)
		text("", 8.5, ink)
		pdf.MultiCell(cell, 4, c.URL, "", "C", false)
	}

	// The phone, for those who cannot scan.
	y = pageH - margin - 30
	pdf.SetFillColor(236, 243, 246)
	pdf.Rect(margin, y, inner, 17, "F")
	pdf.SetXY(margin, y)
	text("B", 18, ink)
	pdf.CellFormat(inner, 17, t("poster_phone", map[string]any{"Phone": p.Phone}), "", 1, "CM", false, 0, "")
	pdf.SetXY(margin, y+20)
	text("", 10.5, ink)
	pdf.MultiCell(inner, 5, t("poster_private", nil), "", "C", false)

	if err := pdf.Error(); err != nil {
		return fmt.Errorf("poster %s: %w", p.Commune.Code, err)
	}
	return pdf.Output(w)
}

// drawQR draws the code as vector squares (sharp at any printer
// resolution), quiet zone included, side millimetres wide.
func drawQR(pdf *fpdf.Fpdf, link string, x, y, side float64) error {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("QR code for %s: %w", link, err)
	}
	bits := q.Bitmap() // with the 4-module quiet zone
	m := side / float64(len(bits))
	pdf.SetFillColor(0, 0, 0)
	for r, row := range bits {
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			start := c
			for c < len(row) && row[c] {
				c++
			}
			// Runs of dark modules as one rectangle; a hair of overlap
			// keeps viewers from drawing white seams between rows.
			pdf.Rect(x+float64(start)*m, y+float64(r)*m, float64(c-start)*m, m+0.01, "F")
		}
	}
	return nil
}
