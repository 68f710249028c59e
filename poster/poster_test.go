package poster_test

import (
	"bytes"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"golang.org/x/image/font/sfnt"

	"reentrybot/config"
	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/poster"
	"reentrybot/refdata"
)

var (
	made   = time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC)
	tanYen = flows.Commune{Code: "07339", Name: "Tân Yên", FullName: "Xã Tân Yên, Tỉnh Bắc Ninh", Active: true}
	reach  = config.Reach{
		PublicURL:   "https://vieclam.bacninh.example.vn",
		ZaloOALink:  "https://zalo.me/4318171372898651234",
		CentrePhone: "0204 3855 123",
	}
)

func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestFor(t *testing.T) {
	tests := []struct {
		name  string
		reach config.Reach
		bot   string
		want  []string // links, in order
		err   error
	}{
		{"every way in", reach, "@vieclam_bn_bot", []string{
			"https://vieclam.bacninh.example.vn/chat?c=07339",
			"https://t.me/vieclam_bn_bot?start=c_07339",
			"https://zalo.me/4318171372898651234"}, nil},
		{"web chat only", config.Reach{PublicURL: "https://a.example/", CentrePhone: "0204 1"}, "",
			[]string{"https://a.example/chat?c=07339"}, nil},
		{"no public URL", config.Reach{CentrePhone: "0204 3855 123"}, "bot_bot", nil, poster.ErrNoWebChat},
		{"no phone", config.Reach{PublicURL: "https://a.example"}, "bot_bot", nil, poster.ErrNoPhone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := poster.For(tt.reach, tt.bot, tanYen, made)
			if tt.err != nil {
				if err == nil || !strings.Contains(err.Error(), tt.err.Error()) {
					t.Fatalf("err %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.Codes {
				got = append(got, c.URL)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("links %q, want %q", got, tt.want)
			}
		})
	}
}

// Every letter the poster prints, the 99 communes' names included, has a
// glyph in the embedded fonts: a missing one would print as a box.
func TestFontsHaveEveryLetter(t *testing.T) {
	cat := catalog(t)
	communes, err := refdata.Communes()
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, k := range cat.Keys("vi") {
		if strings.HasPrefix(k, "poster_") {
			all.WriteString(cat.T("vi", k, map[string]any{"Commune": "", "Phone": "0204 3855 123"}))
		}
	}
	for _, c := range communes {
		all.WriteString(poster.CommuneLabel(c))
	}
	all.WriteString("•")
	for name, ttf := range map[string][]byte{"regular": liberationsansregular.TTF, "bold": liberationsansbold.TTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			t.Fatal(err)
		}
		var buf sfnt.Buffer
		missing := map[rune]bool{}
		for _, r := range all.String() {
			if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
				missing[r] = true
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s font lacks %d letters: %q", name, len(missing), keys(missing))
		}
	}
}

func keys(m map[rune]bool) string {
	var rs []rune
	for r := range m {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	return string(rs)
}

// tool finds a poppler program; outside CI a machine without it skips
// (CI installs it: scripts/install-browser.sh).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found; CI must have poppler-utils (scripts/install-browser.sh)", name)
		}
		t.Skipf("%s not installed (Debian: apt-get install poppler-utils, or run scripts/install-browser.sh as root); CI runs this test", name)
	}
	return p
}

// Words the poster must never print (as the flows' transcripts check).
var forbidden = regexp.MustCompile(`(?i)\b(prison|prisoner|jail|detention|detainee|crime|criminal|offen[cs]e|offender|returnee|convict)\b|(^|[^\p{L}])(tù|phạm nhân|trại giam|tạm giam|tội|phạm tội|tái hòa nhập|tái hoà nhập)([^\p{L}]|$)`)

// The printed poster, rendered to an image as a printer would, shows QR
// codes that a phone decodes to the right links, left to right; its text
// is Vietnamese and says nothing of prison.
func TestPosterScans(t *testing.T) {
	pdftoppm, pdftotext := tool(t, "pdftoppm"), tool(t, "pdftotext")
	p, err := poster.For(reach, "vieclam_bn_bot", tanYen, made)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pdf := filepath.Join(dir, poster.FileName(tanYen))
	var b bytes.Buffer
	if err := poster.Write(&b, catalog(t), p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pdf, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	// 150 dpi: a cheap office printer's resolution, about 6 pixels a module.
	png := filepath.Join(dir, "page")
	if out, err := exec.Command(pdftoppm, "-r", "150", "-png", "-singlefile", pdf, png).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	f, err := os.Open(png + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// A4 at 150 dpi is 1240.2 x 1753.9 pixels; poppler rounds either way.
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w < 1239 || w > 1242 || h < 1753 || h > 1756 {
		t.Errorf("page is %dx%d pixels at 150 dpi, want A4 (about 1240x1754)", w, h)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	results, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no QR code decoded: %v", err)
	}
	sort.Slice(results, func(i, j int) bool { return left(results[i]) < left(results[j]) })
	var got []string
	for _, r := range results {
		got = append(got, r.GetText())
	}
	want := []string{
		"https://vieclam.bacninh.example.vn/chat?c=07339",
		"https://t.me/vieclam_bn_bot?start=c_07339",
		"https://zalo.me/4318171372898651234",
	}
	if !slices.Equal(got, want) {
		t.Errorf("decoded, left to right: %q\nwant %q", got, want)
	}

	out, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, s := range []string{"Dành cho người dân Xã Tân Yên", "MIỄN PHÍ", "Tìm việc làm", "học nghề ngắn hạn",
		"vay vốn ưu đãi", "cán bộ tư vấn", "Gọi Trung tâm: 0204 3855 123", "Trung tâm Dịch vụ việc làm tỉnh Bắc Ninh"} {
		if !strings.Contains(text, s) {
			t.Errorf("the poster's text lacks %q:\n%s", s, text)
		}
	}
	if m := forbidden.FindString(text); m != "" {
		t.Errorf("the poster says %q", m)
	}
}

func left(r *gozxing.Result) float64 {
	x := 1e9
	for _, p := range r.GetResultPoints() {
		x = min(x, p.GetX())
	}
	return x
}

// The PDF is the same for the same input: no machine clock in it.
func TestDeterministic(t *testing.T) {
	cat := catalog(t)
	p, err := poster.For(reach, "vieclam_bn_bot", tanYen, made)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := poster.Write(&a, cat, p); err != nil {
		t.Fatal(err)
	}
	if err := poster.Write(&b, cat, p); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings of one poster differ")
	}
	if !bytes.Contains(a.Bytes(), []byte("20261204080000")) {
		t.Error("the PDF is not dated by the given time")
	}
}

// BenchmarkWrite: one poster (reentrybot poster --all writes 99).
func BenchmarkWrite(b *testing.B) {
	cat, err := i18n.Load(nil)
	if err != nil {
		b.Fatal(err)
	}
	p, err := poster.For(reach, "vieclam_bn_bot", tanYen, made)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := poster.Write(&buf, cat, p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/pdf")
}
