// Package textfold folds Vietnamese text for search: case, diacritics and
// tone-mark placement are ignored, so "tan yen", "TÂN YÊN" and "Tân Yên"
// fold alike, and so do "hoà" and "hòa".
package textfold

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s lower-cased, without combining marks, with đ/Đ as d and
// runs of white space collapsed to one space, trimmed.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsSpace(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

// Contains reports whether the folded haystack holds the folded needle.
func Contains(haystack, needle string) bool {
	return strings.Contains(Fold(haystack), Fold(needle))
}
