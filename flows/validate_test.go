package flows

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
		old      bool // an 11-digit number, given back in today's form
	}{
		{"0912 345 678", "+84912345678", true, false},
		{"0912345678", "+84912345678", true, false},
		{"+84 912345678", "+84912345678", true, false},
		{"+84912345678", "+84912345678", true, false},
		{"84912345678", "+84912345678", true, false},
		{"0084912345678", "+84912345678", true, false},
		{"+84 0912 345 678", "+84912345678", true, false},
		{"0912.345.678", "+84912345678", true, false},
		{"0912-345-678", "+84912345678", true, false},
		{"(+84) 912-345-678", "+84912345678", true, false},
		{"  0332 111 222 ", "+84332111222", true, false},
		{"0562111222", "+84562111222", true, false},
		{"0702111222", "+84702111222", true, false},
		{"0812111222", "+84812111222", true, false},
		{"0982111222", "+84982111222", true, false},
		{"0212 345 678", "", false, false},    // landline prefix
		{"0412345678", "", false, false},      // no 04x mobiles
		{"0612345678", "", false, false},      // no 06x mobiles
		{"091234567", "", false, false},       // too short
		{"09123456789", "", false, false},     // too long
		{"+1 202 555 0100", "", false, false}, // not Vietnamese
		{"912345678", "", false, false},       // no trunk 0 nor country code
		{"0912 345 67a", "", false, false},
		{"", "", false, false},
		{"+84", "", false, false},
		{"không có", "", false, false},
		// Old 11-digit mobile numbers, renumbered in 2018.
		{"0168 123 4567", "+84381234567", true, true},
		{"01621234567", "+84321234567", true, true},
		{"01691234567", "+84391234567", true, true},
		{"+84 168 123 4567", "+84381234567", true, true},
		{"841681234567", "+84381234567", true, true},
		{"01201234567", "+84701234567", true, true},
		{"01211234567", "+84791234567", true, true},
		{"01221234567", "+84771234567", true, true},
		{"01261234567", "+84761234567", true, true},
		{"01281234567", "+84781234567", true, true},
		{"01231234567", "+84831234567", true, true},
		{"01241234567", "+84841234567", true, true},
		{"01251234567", "+84851234567", true, true},
		{"01271234567", "+84811234567", true, true},
		{"01291234567", "+84821234567", true, true},
		{"01861234567", "+84561234567", true, true},
		{"01881234567", "+84581234567", true, true},
		{"01991234567", "+84591234567", true, true},
		{"01601234567", "", false, false}, // 0160 was never a mobile prefix
		{"01311234567", "", false, false},
		// Ranges that are not mobile today, though they look it (by
		// libphonenumber's metadata, which counts all of 03x as mobile).
		{"0502111222", "", false, false},
		{"0712111222", "", false, false},
		{"0802111222", "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizePhone(tt.in)
			ok := err == nil || errors.Is(err, ErrOldMobile)
			if ok != tt.ok || got != tt.want || errors.Is(err, ErrOldMobile) != tt.old {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q, ok=%v, old=%v", tt.in, got, err, tt.want, tt.ok, tt.old)
			}
		})
	}
}

func TestLocalPhone(t *testing.T) {
	if got := LocalPhone("+84381234567"); got != "0381 234 567" {
		t.Errorf("LocalPhone = %q", got)
	}
}

func TestCleanName(t *testing.T) {
	tests := []struct {
		in  string
		err error
	}{
		{"Nguyễn Văn An", nil},
		{"An", nil},
		{"Ê", nil},
		{"An 2", nil},
		{"12345", ErrFormat},
		{"...", ErrFormat},
		{"🙂🙂", ErrFormat},
		{"   ", ErrEmpty},
		{"An\nBình", ErrBadChars},
	}
	for _, tt := range tests {
		if _, err := CleanName(tt.in, maxNameRunes); !errors.Is(err, tt.err) {
			t.Errorf("CleanName(%q): %v, want %v", tt.in, err, tt.err)
		}
	}
}

var e164VN = regexp.MustCompile(`^\+84[35789][0-9]{8}$`)

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912 345 678", "+84 912345678", "84912345678", "0912.345.678", "+84 0912-345-678", "0212345678", "", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePhone(s)
		if err != nil && !errors.Is(err, ErrOldMobile) {
			return
		}
		if !e164VN.MatchString(got) {
			t.Fatalf("NormalizePhone(%q) = %q, not a Vietnamese mobile in E.164", s, got)
		}
		if again, err := NormalizePhone(got); err != nil || again != got {
			t.Fatalf("not stable: %q -> %q -> %q, %v", s, got, again, err)
		}
		if local, err := NormalizePhone("0" + got[3:]); err != nil || local != got {
			t.Fatalf("local form of %q gives %q, %v", got, local, err)
		}
	})
}

var testNow = time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)

func TestParseBirthYear(t *testing.T) {
	tests := []struct {
		in   string
		want int
		err  error
	}{
		{"1990", 1990, nil},
		{" 1990 ", 1990, nil},
		{"năm 1990", 1990, nil},
		{"nam 1990", 1990, nil},
		{"sinh năm 1985", 1985, nil},
		{"05/1990", 1990, nil},
		{"12/05/1990", 1990, nil},
		{"1-1-2000", 2000, nil},
		// testNow is 16 November 2026.
		{"2010", 2010, ErrMaybeUnder16},     // 16 this year: maybe not yet
		{"11/2010", 2010, ErrMaybeUnder16},  // this month, day unknown
		{"10/2010", 2010, nil},              // birthday passed
		{"12/2010", 2010, ErrOutOfRange},    // birthday to come: 15
		{"16/11/2010", 2010, nil},           // today
		{"17/11/2010", 2010, ErrOutOfRange}, // tomorrow
		{"2011", 2011, ErrOutOfRange},       // 15 at most
		{"1946", 1946, nil},                 // 80 this year
		{"1945", 1945, ErrOverMaxAge},       // over 80: taken, with a kind word
		{"1916", 1916, ErrOverMaxAge},       // 110
		{"1915", 1915, ErrOutOfRange},       // surely a slip
		{"3000", 3000, ErrOutOfRange},
		{"90", 0, ErrFormat},
		{"199", 0, ErrFormat},
		{"19900", 0, ErrFormat},
		{"32/01/1990", 0, ErrFormat},
		{"13/1990", 0, ErrFormat},
		{"1990 1991", 0, ErrFormat},
		{"mười chín chín mươi", 0, ErrFormat},
		{"", 0, ErrFormat},
		{"1990abc", 0, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBirthYear(tt.in, testNow)
			if !errors.Is(err, tt.err) || (err != ErrFormat && got != tt.want) {
				t.Errorf("ParseBirthYear(%q) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func FuzzParseBirthYear(f *testing.F) {
	for _, s := range []string{"1990", "năm 1990", "12/05/1990", "05/1990", "90", "", "2011", "１９９０"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, err := ParseBirthYear(s, testNow)
		if err != nil {
			return
		}
		if age := testNow.Year() - y; age <= MinAge || age > MaxAge {
			t.Fatalf("ParseBirthYear(%q) = %d: age %d out of range", s, y, age)
		}
		if again, err := ParseBirthYear(strconv.Itoa(y), testNow); err != nil || again != y {
			t.Fatalf("year %d does not parse back: %d, %v", y, again, err)
		}
	})
}

func TestParseMonthYear(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"05/2024", "2024-05", nil},
		{"5/2024", "2024-05", nil},
		{"5-2024", "2024-05", nil},
		{"5.2024", "2024-05", nil},
		{"tháng 5 năm 2024", "2024-05", nil},
		{"thang 5 2024", "2024-05", nil},
		{"11/2026", "2026-11", nil},
		{"12/2026", "", ErrOutOfRange},
		{"01/1949", "", ErrOutOfRange},
		{"13/2024", "", ErrFormat},
		{"0/2024", "", ErrFormat},
		{"2024", "", ErrFormat},
		{"05/24", "", ErrFormat},
		{"hôm qua", "", ErrFormat},
	}
	for _, tt := range tests {
		got, err := ParseMonthYear(tt.in, testNow)
		if !errors.Is(err, tt.err) || (err == nil && got.Format("2006-01") != tt.want) {
			t.Errorf("ParseMonthYear(%q) = %v, %v; want %s, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestCleanText(t *testing.T) {
	long := strings.Repeat("ệ", 100)
	tests := []struct {
		in        string
		max       int
		multiline bool
		want      string
		err       error
	}{
		{"  Lê <b>Văn</b> & 🙂  ", 100, false, "Lê <b>Văn</b> & 🙂", nil},
		{"Le\u0302\u0323", 100, false, "Lệ", nil}, // NFD composed
		{long, 100, false, long, nil},
		{long + "a", 100, false, long + "a", ErrTooLong},
		{"", 100, false, "", ErrEmpty},
		{"   ", 100, false, "", ErrEmpty},
		{"a\nb", 100, false, "a\nb", ErrBadChars},
		{"a\nb", 100, true, "a\nb", nil},
		{"a\x00b", 100, true, "a\x00b", ErrBadChars},
		{"a\u200bb", 100, false, "a\u200bb", nil}, // format chars are not control chars
	}
	for _, tt := range tests {
		got, err := CleanText(tt.in, tt.max, tt.multiline)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("CleanText(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
		if err == nil && utf8.RuneCountInString(got) > tt.max {
			t.Errorf("CleanText(%q) longer than %d", tt.in, tt.max)
		}
	}
}

func TestFormatVND(t *testing.T) {
	for n, want := range map[int64]string{0: "0 đ", 999: "999 đ", 1000: "1.000 đ", 1234567: "1.234.567 đ", 18000000: "18.000.000 đ", -5000: "-5.000 đ"} {
		if got := FormatVND(n); got != want {
			t.Errorf("FormatVND(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWorkingHoursNext(t *testing.T) {
	h := DefaultWorkingHours()
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, h.Loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		now, kind, next string
	}{
		{"2026-11-16 09:00", WhenNow, "2026-11-16 09:00"},      // Monday morning
		{"2026-11-16 07:30", WhenNow, "2026-11-16 07:30"},      // opening minute
		{"2026-11-16 07:29", WhenToday, "2026-11-16 07:30"},    // just before
		{"2026-11-16 17:00", WhenTomorrow, "2026-11-17 07:30"}, // closing minute
		{"2026-11-20 18:30", WhenLater, "2026-11-23 07:30"},    // Friday evening
		{"2026-11-21 10:00", WhenLater, "2026-11-23 07:30"},    // Saturday
		{"2026-11-22 20:00", WhenTomorrow, "2026-11-23 07:30"}, // Sunday evening
	}
	for _, tt := range tests {
		kind, next := h.Next(at(tt.now))
		if kind != tt.kind || !next.Equal(at(tt.next)) {
			t.Errorf("Next(%s) = %s %s, want %s %s", tt.now, kind, next.Format("2006-01-02 15:04"), tt.kind, tt.next)
		}
	}
	// The same instant given in UTC.
	if kind, _ := h.Next(at("2026-11-16 07:29").UTC()); kind != WhenToday {
		t.Errorf("Next in UTC = %s, want today", kind)
	}
}
