package announcements

import (
	"testing"
	"time"

	"reentrybot/store"
)

func TestParseWhen(t *testing.T) {
	loc := time.FixedZone("ICT", 7*3600)
	now := time.Date(2026, 12, 20, 10, 0, 0, 0, loc)
	tests := []struct {
		in   string
		want time.Time
		key  string
	}{
		{"24/12 08:00", time.Date(2026, 12, 24, 8, 0, 0, 0, loc), ""},
		{"24/12 8h30", time.Date(2026, 12, 24, 8, 30, 0, 0, loc), ""},
		{"5/1 07:15", time.Date(2027, 1, 5, 7, 15, 0, 0, loc), ""}, // next January
		{"20/12/2026 10:30", time.Date(2026, 12, 20, 10, 30, 0, 0, loc), ""},
		{"20/12 09:00", time.Time{}, "announce_past_time"},
		{"31/02 08:00", time.Time{}, "announce_bad_time"},
		{"24/12 25:00", time.Time{}, "announce_bad_time"},
		{"thứ Năm", time.Time{}, "announce_bad_time"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, key := parseWhen(tt.in, now, loc)
			if key != tt.key || !got.Equal(tt.want) {
				t.Fatalf("parseWhen(%q) = %v %q, want %v %q", tt.in, got, key, tt.want, tt.key)
			}
		})
	}
}

func TestAnnounceData(t *testing.T) {
	for _, data := range []string{announceData("com", 12, "07840"), announceData("go", 3)} {
		if len(data) > 64 {
			t.Fatalf("%q over 64 bytes", data)
		}
	}
	a, id, arg, ok := parseAnnounceData("a:com:12:07840")
	if !ok || a != "com" || id != 12 || arg != "07840" {
		t.Fatal(a, id, arg, ok)
	}
	for _, bad := range []string{"a:com", "a:go:x", "k:take:1", "a:go:-1", ""} {
		if _, _, _, ok := parseAnnounceData(bad); ok {
			t.Fatalf("%q parsed", bad)
		}
	}
}

// Officers see audiences under 5 as "< 5"; admins see them exact.
func TestShownCount(t *testing.T) {
	tests := []struct {
		role   store.Role
		n      int
		shown  string
		plural int
	}{
		{store.RoleOfficer, 0, "< 5", 5},
		{store.RoleOfficer, 1, "< 5", 5},
		{store.RoleOfficer, 4, "< 5", 5},
		{store.RoleOfficer, 5, "5", 5},
		{store.RoleOfficer, 1234, "1234", 1234},
		{store.RoleAdmin, 0, "0", 0},
		{store.RoleAdmin, 1, "1", 1},
		{store.RoleAdmin, 4, "4", 4},
		{store.RoleCounsellor, 3, "< 5", 5},
	}
	for _, tt := range tests {
		shown, plural := shownCount(tt.role, tt.n)
		if shown != tt.shown || plural != tt.plural {
			t.Errorf("shownCount(%s, %d) = %q, %d; want %q, %d", tt.role, tt.n, shown, plural, tt.shown, tt.plural)
		}
	}
}
