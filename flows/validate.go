package flows

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"reentrybot/textfold"
)

// Validation failures; each maps to a message that says why.
var (
	ErrEmpty      = errors.New("empty")
	ErrTooLong    = errors.New("too long")
	ErrBadChars   = errors.New("control characters")
	ErrFormat     = errors.New("bad format")
	ErrOutOfRange = errors.New("out of range")
)

// CleanText trims and NFC-normalises s and checks it holds 1..max
// characters and no control characters (with multiline, line breaks are
// allowed). Everything else (<, &, emoji) is kept as given.
func CleanText(s string, max int, multiline bool) (string, error) {
	s = strings.TrimSpace(norm.NFC.String(s))
	if s == "" {
		return "", ErrEmpty
	}
	if utf8.RuneCountInString(s) > max {
		return s, ErrTooLong
	}
	for _, c := range s {
		if multiline && (c == '\n' || c == '\t') {
			continue
		}
		if unicode.IsControl(c) || c == utf8.RuneError {
			return s, ErrBadChars
		}
	}
	return s, nil
}

var phoneJunk = strings.NewReplacer(" ", "", ".", "", "-", "", "(", "", ")", "", "\u00a0", "")

// NormalizePhone accepts a Vietnamese mobile number as people write it
// ("0912 345 678", "+84 912345678", "84912345678", with dots, dashes or
// spaces) and returns it as E.164 ("+84912345678"). Mobile numbers have
// nine digits after the 0 or +84, the first being 3, 5, 7, 8 or 9.
func NormalizePhone(s string) (string, error) {
	s = phoneJunk.Replace(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "+84"):
		s = s[3:]
	case strings.HasPrefix(s, "0084"):
		s = s[4:]
	case strings.HasPrefix(s, "84") && len(s) == 11:
		s = s[2:]
	case strings.HasPrefix(s, "0"):
		s = s[1:]
	default:
		return "", ErrFormat
	}
	if len(s) == 10 && s[0] == '0' { // "+84 0912 ..." written with the trunk 0
		s = s[1:]
	}
	if len(s) != 9 {
		return "", ErrFormat
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", ErrFormat
		}
	}
	if !strings.ContainsRune("35789", rune(s[0])) {
		return "", ErrFormat
	}
	return "+84" + s, nil
}

var digitRuns = regexp.MustCompile(`[0-9]+`)

// numbersOnly checks that s holds only digits, separators and the words
// for day/month/year, and returns its digit groups.
func numbersOnly(s string) ([]string, bool) {
	f := textfold.Fold(s)
	for _, w := range []string{"ngay", "thang", "nam", "sinh", "month", "year", "born", "in"} {
		f = strings.ReplaceAll(" "+f+" ", " "+w+" ", " ")
	}
	for _, c := range f {
		if !(c >= '0' && c <= '9') && !strings.ContainsRune(" /.-,", c) {
			return nil, false
		}
	}
	return digitRuns.FindAllString(f, -1), true
}

// Age limits for the year of birth.
const (
	MinAge = 16
	MaxAge = 80
)

// ParseBirthYear reads a year of birth ("1990", "năm 1990", "12/05/1990")
// and checks the age it gives on now is MinAge..MaxAge.
func ParseBirthYear(s string, now time.Time) (int, error) {
	g, ok := numbersOnly(s)
	if !ok || len(g) == 0 || len(g) > 3 || len(g[len(g)-1]) != 4 {
		return 0, ErrFormat
	}
	y, _ := strconv.Atoi(g[len(g)-1])
	if len(g) >= 2 {
		if m, _ := strconv.Atoi(g[len(g)-2]); len(g[len(g)-2]) > 2 || m < 1 || m > 12 {
			return 0, ErrFormat
		}
	}
	if len(g) == 3 {
		if d, _ := strconv.Atoi(g[0]); len(g[0]) > 2 || d < 1 || d > 31 {
			return 0, ErrFormat
		}
	}
	if age := now.Year() - y; age < MinAge || age > MaxAge {
		return y, ErrOutOfRange
	}
	return y, nil
}

// ParseMonthYear reads a month and year ("05/2024", "5-2024", "tháng 5
// năm 2024") not after now nor before 1950, as the first of that month.
func ParseMonthYear(s string, now time.Time) (time.Time, error) {
	g, ok := numbersOnly(s)
	if !ok || len(g) != 2 || len(g[1]) != 4 || len(g[0]) > 2 {
		return time.Time{}, ErrFormat
	}
	m, _ := strconv.Atoi(g[0])
	y, _ := strconv.Atoi(g[1])
	if m < 1 || m > 12 {
		return time.Time{}, ErrFormat
	}
	t := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	if y < 1950 || t.After(time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		return t, ErrOutOfRange
	}
	return t, nil
}
