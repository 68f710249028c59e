package flows

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
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

// ErrOldMobile says the number was written in its 11-digit form, renumbered
// in 2018; the number returned with it is today's, to confirm with the person.
var ErrOldMobile = errors.New("old 11-digit mobile number")

// oldMobile maps the prefixes of the 11-digit mobile numbers (after the 0)
// to the ones that replaced them in 2018, keeping the last seven digits.
var oldMobile = map[string]string{
	"162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39",
	"120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
	"123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
	"186": "56", "188": "58", "199": "59",
}

// NormalizePhone accepts a Vietnamese mobile number as people write it
// ("0912 345 678", "+84 912345678", "84912345678", with dots, dashes or
// spaces) and returns it as E.164 ("+84912345678"). Whether a number is a
// mobile one is libphonenumber's call (its metadata follows the numbering
// plan), not a prefix list kept here. An old 11-digit number ("0168 123
// 4567") comes back as today's number with ErrOldMobile.
func NormalizePhone(s string) (string, error) {
	s = phoneJunk.Replace(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "+84"):
		s = s[3:]
	case strings.HasPrefix(s, "0084"):
		s = s[4:]
	case strings.HasPrefix(s, "84") && (len(s) == 11 || len(s) == 12):
		s = s[2:]
	case strings.HasPrefix(s, "0"):
		s = s[1:]
	default:
		return "", ErrFormat
	}
	if len(s) >= 10 && s[0] == '0' { // "+84 0912 ..." written with the trunk 0
		s = s[1:]
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return "", ErrFormat
		}
	}
	var old error
	if len(s) == 10 {
		to, ok := oldMobile[s[:3]]
		if !ok {
			return "", ErrFormat
		}
		s, old = to+s[3:], ErrOldMobile
	}
	if len(s) != 9 {
		return "", ErrFormat
	}
	n, err := phonenumbers.Parse("+84"+s, "VN")
	if err != nil || !phonenumbers.IsValidNumberForRegion(n, "VN") || phonenumbers.GetNumberType(n) != phonenumbers.MOBILE {
		return "", ErrFormat
	}
	return "+84" + s, old
}

// LocalPhone writes an E.164 Vietnamese number as people read it:
// "+84912345678" → "0912 345 678".
func LocalPhone(e164 string) string {
	d := "0" + strings.TrimPrefix(e164, "+84")
	if len(d) != 10 {
		return d
	}
	return d[:4] + " " + d[4:7] + " " + d[7:]
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

// Age limits for the year of birth. From MaxAge to OldestAge the year is
// taken, with a kind word rather than "check again"; past OldestAge it is
// surely a typing slip.
const (
	MinAge    = 16
	MaxAge    = 80
	OldestAge = 110
)

// ErrMaybeUnder16 says the person turns MinAge this year and may not have
// yet: with only the year (or the month of their birthday) it cannot be
// told, so they are asked.
var ErrMaybeUnder16 = errors.New("may be under 16")

// ErrOverMaxAge says the year gives an age over MaxAge: taken, but worth a
// kind word.
var ErrOverMaxAge = errors.New("over the usual age")

// ParseBirthYear reads a year of birth ("1990", "năm 1990", "12/05/1990")
// and checks the age it gives on now: under MinAge (or over OldestAge) is
// ErrOutOfRange, MinAge not surely reached is ErrMaybeUnder16, over MaxAge
// is ErrOverMaxAge; the year is returned with each.
func ParseBirthYear(s string, now time.Time) (int, error) {
	g, ok := numbersOnly(s)
	if !ok || len(g) == 0 || len(g) > 3 || len(g[len(g)-1]) != 4 {
		return 0, ErrFormat
	}
	y, _ := strconv.Atoi(g[len(g)-1])
	m, d := 0, 0
	if len(g) >= 2 {
		if m, _ = strconv.Atoi(g[len(g)-2]); len(g[len(g)-2]) > 2 || m < 1 || m > 12 {
			return 0, ErrFormat
		}
	}
	if len(g) == 3 {
		if d, _ = strconv.Atoi(g[0]); len(g[0]) > 2 || d < 1 || d > 31 {
			return 0, ErrFormat
		}
	}
	age := now.Year() - y
	switch {
	case age < MinAge || age > OldestAge:
		return y, ErrOutOfRange
	case age == MinAge:
		// Has the birthday of this year come?
		switch {
		case m == 0 || (d == 0 && m == int(now.Month())):
			return y, ErrMaybeUnder16
		case m > int(now.Month()) || (m == int(now.Month()) && d > now.Day()):
			return y, ErrOutOfRange
		}
	case age > MaxAge:
		return y, ErrOverMaxAge
	}
	return y, nil
}

// CleanName is CleanText for a person's name, which must hold a letter.
func CleanName(s string, max int) (string, error) {
	s, err := CleanText(s, max, false)
	if err != nil {
		return s, err
	}
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return s, ErrFormat
	}
	return s, nil
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
