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
	for _, s := range []string{"Tân Yên", "HIỆP HOÀ", "Nhân Hòa", "đ Đ", " a  b ", "\u0301x", "🙂"} {
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
			if r == 'đ' || r == 'Đ' || unicode.Is(unicode.Mn, r) {
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
