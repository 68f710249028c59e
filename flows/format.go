package flows

import (
	"strconv"
	"strings"
	"time"
)

// FormatVND writes an amount the Vietnamese way: 1.234.567 đ.
func FormatVND(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	out := b.String() + " đ"
	if neg {
		out = "-" + out
	}
	return out
}

func date(t time.Time) string { return t.Format("02/01/2006") }

func monthYear(t time.Time) string { return t.Format("01/2006") }
