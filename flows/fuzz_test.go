package flows

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseMonthYear(f *testing.F) {
	for _, s := range []string{"05/2024", "tháng 5 năm 2024", "thang 5 2024", "13/2024", "5.2024", "", "０５/２０２４"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseMonthYear(s, testNow)
		if err != nil {
			return
		}
		if got.After(testNow) || got.Year() < 1950 || got.Day() != 1 {
			t.Fatalf("ParseMonthYear(%q) = %v: outside the accepted range", s, got)
		}
		if again, err := ParseMonthYear(got.Format("01/2006"), testNow); err != nil || !again.Equal(got) {
			t.Fatalf("%v does not parse back: %v, %v", got, again, err)
		}
	})
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"Nguyễn Văn A", "<b>&amp;</b>", "a\x00b", "\xff\xfe", "Ho\u0300a", strings.Repeat("ừ", 200), "dòng 1\ndòng 2"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multiline bool) {
		got, err := CleanText(s, maxFreeText, multiline)
		if err != nil {
			return
		}
		if !utf8.ValidString(got) {
			t.Fatalf("CleanText(%q) = %q: not UTF-8", s, got)
		}
		if n := utf8.RuneCountInString(got); n > maxFreeText {
			t.Fatalf("CleanText(%q) kept %d characters, limit %d", s, n, maxFreeText)
		}
		if !multiline && strings.ContainsAny(got, "\n\r") {
			t.Fatalf("CleanText(%q, single line) = %q", s, got)
		}
		if again, err := CleanText(got, maxFreeText, multiline); err != nil || again != got {
			t.Fatalf("CleanText not idempotent on %q: %q, %v", got, again, err)
		}
	})
}
