package clock

import (
	"testing"
	"time"
)

func TestParseEnv(t *testing.T) {
	now := time.Date(2026, 12, 3, 21, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"2026-12-03T22:00:00Z", time.Hour, false},
		{"2026-12-04T04:00:00+07:00", 0, false},
		{"2032-02-29T08:00:00+07:00", time.Date(2032, 2, 29, 1, 0, 0, 0, time.UTC).Sub(now), false},
		{"2031-02-29T08:00:00+07:00", 0, true}, // no such day
		{"tomorrow", 0, true},
	}
	for _, tt := range tests {
		got, err := parseEnv(tt.in, now)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseEnv(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFake(t *testing.T) {
	at := time.Date(2032, 2, 29, 23, 59, 0, 0, time.UTC)
	f := NewFake(at)
	f.Advance(2 * time.Minute)
	if got := f.Now(); !got.Equal(time.Date(2032, 3, 1, 0, 1, 0, 0, time.UTC)) {
		t.Errorf("advanced to %v", got)
	}
	f.Set(at)
	if !f.Now().Equal(at) {
		t.Errorf("set to %v", f.Now())
	}
}
