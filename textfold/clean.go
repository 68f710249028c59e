package textfold

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Clean makes typed text safe to store and compare: valid UTF-8, NFC, no
// control characters but newlines and tabs, trimmed. Every channel's typed
// text and the desk's forms go through it.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFC.String(s)
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
