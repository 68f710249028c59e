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
	}{
		{"0912 345 678", "+84912345678", true},
		{"0912345678", "+84912345678", true},
		{"+84 912345678", "+84912345678", true},
		{"+84912345678", "+84912345678", true},
		{"84912345678", "+84912345678", true},
		{"0084912345678", "+84912345678", true},
		{"+84 0912 345 678", "+84912345678", true},
		{"0912.345.678", "+84912345678", true},
		{"0912-345-678", "+84912345678", true},
		{"(+84) 912-345-678", "+84912345678", true},
		{"  0332 111 222 ", "+84332111222", true},
		{"0562111222", "+84562111222", true},
		{"0702111222", "+84702111222", true},
		{"0812111222", "+84812111222", true},
		{"0982111222", "+84982111222", true},
		{"0212 345 678", "", false},    // landline prefix
		{"0412345678", "", false},      // no 04x mobiles
		{"0612345678", "", false},      // no 06x mobiles
		{"091234567", "", false},       // too short
		{"09123456789", "", false},     // too long
		{"+1 202 555 0100", "", false}, // not Vietnamese
		{"912345678", "", false},       // no trunk 0 nor country code
		{"0912 345 67a", "", false},
		{"", "", false},
		{"+84", "", false},
		{"không có", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizePhone(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

var e164VN = regexp.MustCompile(`^\+84[35789][0-9]{8}$`)

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912 345 678", "+84 912345678", "84912345678", "0912.345.678", "+84 0912-345-678", "0212345678", "", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizePhone(s)
		if err != nil {
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
		{"2010", 2010, nil}, // 16 this year
		{"1946", 1946, nil}, // 80 this year
		{"2011", 2011, ErrOutOfRange},
		{"1945", 1945, ErrOutOfRange},
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
			if !errors.Is(err, tt.err) || (err == nil && got != tt.want) || (tt.err == ErrOutOfRange && got != tt.want) {
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
		if age := testNow.Year() - y; age < MinAge || age > MaxAge {
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
