// Package textfold folds Vietnamese text for search: case, diacritics and
// tone-mark placement are ignored, so "tan yen", "TÂN YÊN" and "Tân Yên"
// fold alike, and so do "hoà" and "hòa".
package textfold

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// dStroke holds đ, Đ and the letters that look like them on a screen (a
// keyboard layout or a copied text may give any of them): the eths Ð ð,
// the African D Ɖ ɖ and the small capital eth ᴆ. None decomposes in NFD.
const dStroke = "đĐÐðƉɖᴆ"

// Fold returns s lower-cased, without combining marks, with đ/Đ (and
// their look-alikes) as d and runs of white space collapsed to one space,
// trimmed.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case strings.ContainsRune(dStroke, r):
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

// placePrefixes are the folded words people put before a place name, longest
// first so that "thi xa" is removed whole rather than read as "thi" + "xa".
var placePrefixes = []string{
	"thanh pho ", "thi tran ", "thi xa ", "phuong ", "huyen ", "xa ",
	"tp. ", "tp.", "tp ", "tt. ", "tt.", "tt ", "tx. ", "tx.", "tx ",
	"p. ", "p.", "x. ", "x.", "h. ", "h.",
}

// PlaceQueries folds what a person typed to find a commune, ward or
// district and returns the queries to try in order: the whole text first,
// since a name may itself start with such a word ("Phượng Sơn" folds to
// "phuong son", "Xa Lý" to "xa ly"), then the text without one leading
// "xã", "phường", "thị trấn", "huyện", "TP" and the like.
func PlaceQueries(s string) []string {
	q := Fold(s)
	if q == "" {
		return nil
	}
	out := []string{q}
	for _, pre := range placePrefixes {
		if rest, ok := strings.CutPrefix(q, pre); ok {
			if rest = strings.TrimSpace(rest); rest != "" {
				out = append(out, rest)
			}
			break
		}
	}
	return out
}

// tones are the five Vietnamese tone marks, as combining characters:
// grave, acute, tilde, hook above, dot below.
const tones = "\u0300\u0301\u0303\u0309\u0323"

// SameName reports whether a and b are the same name written with the tone
// mark on another vowel ("Hiệp Hoà" and "Hiệp Hòa", "Thuỵ" and "Thụy"), or
// the same text. Unlike Fold, every other mark and the case still count:
// "Đông Tiến" and "Đồng Tiến" are different names.
func SameName(a, b string) bool { return toneKey(a) == toneKey(b) }

// toneKey moves each word's tone mark to the end of the word.
func toneKey(s string) string {
	var b, marks strings.Builder
	flush := func() { b.WriteString(marks.String()); marks.Reset() }
	for _, r := range norm.NFD.String(s) {
		switch {
		case strings.ContainsRune(tones, r):
			marks.WriteRune(r)
		case unicode.IsLetter(r) || unicode.Is(unicode.Mn, r):
			b.WriteRune(r)
		default:
			flush()
			b.WriteRune(r)
		}
	}
	flush()
	return b.String()
}
