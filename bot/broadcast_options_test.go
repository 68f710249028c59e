package bot

import (
	"testing"
	"time"
)

func TestQuietUntil(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, loc) }
	o := BroadcastOptions{}.withDefaults()
	tests := []struct {
		name string
		now  time.Time
		want time.Time // zero: not quiet
	}{
		{"morning", at(26, 7, 0), time.Time{}},
		{"evening", at(26, 20, 59), time.Time{}},
		{"nine sharp", at(26, 21, 0), at(27, 7, 0)},
		{"late evening", at(26, 23, 30), at(27, 7, 0)},
		{"after midnight", at(27, 0, 10), at(27, 7, 0)},
		{"before seven", at(27, 6, 59), at(27, 7, 0)},
		{"in UTC", at(26, 22, 0).UTC(), at(27, 7, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := o.quietUntil(tt.now, loc); !got.Equal(tt.want) {
				t.Fatalf("quietUntil(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
	day := BroadcastOptions{QuietStart: 12 * time.Hour, QuietEnd: 13 * time.Hour}.withDefaults()
	if got := day.quietUntil(at(26, 12, 30), loc); !got.Equal(at(26, 13, 0)) {
		t.Fatalf("quiet hours within a day: %v", got)
	}
}
