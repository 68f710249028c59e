package textfold

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "tan yen", "tan yen"},
		{"upper with marks", "TÂN YÊN", "tan yen"},
		{"mixed", "Tân Yên", "tan yen"},
		{"tone on a (NFC)", "Hiệp Hoà", "hiep hoa"},
		{"tone on o (NFC)", "Nhân Hòa", "nhan hoa"},
		{"decomposed", norm.NFD.String("Hiệp Hoà"), "hiep hoa"},
		{"d stroke", "Đại Đồng", "dai dong"},
		{"small d stroke", "đường", "duong"},
		{"eth look-alike (U+00D0)", "\u00d0ình Bảng", "dinh bang"},
		{"small eth (U+00F0)", "\u00f0ồng tiến", "dong tien"},
		{"African D (U+0189)", "\u0189ông Phú", "dong phu"},
		{"small African d (U+0256)", "\u0256ại đồng", "dai dong"},
		{"small capital eth (U+1D06)", "\u1d06a Mai", "da mai"},
		{"decomposed upper case", norm.NFD.String("ĐÌNH BẢNG"), "dinh bang"},
		{"spaces collapsed", "  Kinh \t  Bắc \n", "kinh bac"},
		{"empty", "", ""},
		{"only spaces", "   ", ""},
		{"digits and punctuation kept", "Số 12, ngõ 3", "so 12, ngo 3"},
		{"emoji kept", "Chũ 🙂", "chu 🙂"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fold(tt.in); got != tt.want {
				t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestToneMarkPlacementsFoldAlike(t *testing.T) {
	pairs := [][2]string{{"hoà", "hòa"}, {"thuỷ", "thủy"}, {"khoẻ", "khỏe"}, {"HOÀ", "hòa"}}
	for _, p := range pairs {
		if Fold(p[0]) != Fold(p[1]) {
			t.Errorf("Fold(%q)=%q differs from Fold(%q)=%q", p[0], Fold(p[0]), p[1], Fold(p[1]))
		}
	}
	if !Contains("Xã Hiệp Hoà", "hiep hòa") {
		t.Error("Contains should ignore tone-mark placement")
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"Tân Yên", "HIỆP HOÀ", "Nhân Hòa", "đ Đ", " a  b ", "\u0301x", "🙂", "\u00d0\u0189\u0256\u1d06"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		got := Fold(s)
		if Fold(got) != got {
			t.Fatalf("not idempotent: Fold(%q)=%q, Fold again=%q", s, got, Fold(got))
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("spaces not collapsed: %q", got)
		}
		for _, r := range got {
			if strings.ContainsRune(dStroke, r) || unicode.Is(unicode.Mn, r) {
				t.Fatalf("Fold(%q)=%q keeps %q", s, got, r)
			}
		}
		if Fold(strings.ToUpper(s)) != Fold(strings.ToLower(s)) && norm.NFC.String(s) == s && isVietnameseish(s) {
			t.Fatalf("case matters for %q", s)
		}
	})
}

// isVietnameseish limits the case check to letters whose upper and lower
// forms round-trip (Latin with Vietnamese marks).
func isVietnameseish(s string) bool {
	for _, r := range s {
		if r > 0x1EFF || (r > 0x024F && r < 0x1E00) {
			return false
		}
	}
	return true
}

func TestPlaceQueries(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Phượng Sơn", []string{"phuong son", "son"}},
		{"phuong son", []string{"phuong son", "son"}},
		{"xã Phượng Sơn", []string{"xa phuong son", "phuong son"}},
		{"Xa Lý", []string{"xa ly", "ly"}},
		{"thi tran Cho", []string{"thi tran cho", "cho"}},
		{"THỊ TRẤN CHỜ", []string{"thi tran cho", "cho"}},
		{"tt Lim", []string{"tt lim", "lim"}},
		{"TT.Neo", []string{"tt.neo", "neo"}},
		{"thị xã Việt Yên", []string{"thi xa viet yen", "viet yen"}},
		{"huyện Lục Nam", []string{"huyen luc nam", "luc nam"}},
		{"TP Từ Sơn", []string{"tp tu son", "tu son"}},
		{"thành phố Bắc Giang", []string{"thanh pho bac giang", "bac giang"}},
		{"p. Đình Bảng", []string{"p. dinh bang", "dinh bang"}},
		{"p.dinh bang", []string{"p.dinh bang", "dinh bang"}},
		{norm.NFD.String("Phường Đình Bảng"), []string{"phuong dinh bang", "dinh bang"}},
		{"Lim", []string{"lim"}},
		{"xã", []string{"xa"}},
		{"  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := PlaceQueries(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("PlaceQueries(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzPlaceQueries(f *testing.F) {
	// Queries people type: without marks, in capitals, in NFD, with a prefix.
	for _, s := range []string{"xã Đồng Tiến", "thi tran Cho", "Phượng Sơn", "tp.", "p. ", "huyen  luc nam",
		"dinh bang", "DINH BANG", "Lim", "dong tien", "phuong son", "hiep hoa", "luc nam", "TT Chờ",
		norm.NFD.String("Phường Đình Bảng"), "\u00d0ình Bảng", "x.Sa Lý", "thị xã Việt Yên"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip()
		}
		qs := PlaceQueries(s)
		if len(qs) > 2 {
			t.Fatalf("PlaceQueries(%q) = %q: more than two queries", s, qs)
		}
		for i, q := range qs {
			if q == "" || Fold(q) != q {
				t.Fatalf("PlaceQueries(%q)[%d] = %q is empty or not folded", s, i, q)
			}
		}
		if len(qs) > 0 && qs[0] != Fold(s) {
			t.Fatalf("PlaceQueries(%q) does not try the whole text first: %q", s, qs)
		}
		if norm.NFC.String(s) == s && isVietnameseish(s) {
			if up, low := PlaceQueries(strings.ToUpper(s)), PlaceQueries(strings.ToLower(s)); strings.Join(up, "|") != strings.Join(low, "|") {
				t.Fatalf("case matters for %q: %q vs %q", s, up, low)
			}
		}
		if nfd := PlaceQueries(norm.NFD.String(s)); strings.Join(nfd, "|") != strings.Join(qs, "|") {
			t.Fatalf("NFD matters for %q: %q vs %q", s, nfd, qs)
		}
	})
}

func TestSameName(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Hiệp Hoà", "Hiệp Hòa", true},
		{"Cảnh Thuỵ", "Cảnh Thụy", true},
		{"Phúc Hoà", "Phúc Hòa", true},
		{norm.NFD.String("Hiệp Hoà"), "Hiệp Hòa", true},
		{"Tân Yên", "Tân Yên", true},
		{"Đông Tiến", "Đồng Tiến", false}, // another tone
		{"Phượng Sơn", "Phương Sơn", false},
		{"Hiệp Hòa", "Hiệp Hoa", false}, // the tone missing
		{"Hiệp Hòa", "hiệp hòa", false}, // case counts
		{"Hòa An", "Hoà An", true},
		{"Hòa An", "Hoa Àn", false}, // the mark moved to another word
	}
	for _, tt := range tests {
		if got := SameName(tt.a, tt.b); got != tt.want {
			t.Errorf("SameName(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
