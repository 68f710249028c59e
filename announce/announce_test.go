package announce

import (
	"strings"
	"testing"

	"reentrybot/store"
)

func TestBody(t *testing.T) {
	tests := []struct {
		name, in, want string
		limit, n       int
		ok             bool
	}{
		{"plain", "  Hội chợ việc làm\r\n thứ Năm ", "Hội chợ việc làm\n thứ Năm", 100, 25, true},
		{"markup stays text", "<b>x</b> & y", "<b>x</b> & y", 100, 12, true},
		{"controls and broken UTF-8", "a\x00b\u200b\xffc", "ab\uFFFDc", 100, 4, true},
		{"empty after cleaning", " \u200b\t", "", 100, 0, false},
		{"at the limit in UTF-16 units", strings.Repeat("😀", 2), "😀😀", 4, 4, true},
		{"over it", strings.Repeat("😀", 3), "😀😀😀", 4, 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, ok := Body(tt.in, tt.limit)
			if got != tt.want || n != tt.n || ok != tt.ok {
				t.Fatalf("Body(%q, %d) = %q, %d, %v; want %q, %d, %v", tt.in, tt.limit, got, n, ok, tt.want, tt.n, tt.ok)
			}
		})
	}
}

func TestScopeAndStatus(t *testing.T) {
	officer := store.Staff{Role: store.RoleOfficer, Communes: []string{"A", "B"}}
	admin := store.Staff{Role: store.RoleAdmin}
	tests := []struct {
		name string
		s    store.Staff
		d    store.Broadcast
		want bool
	}{
		{"officer, own commune", officer, store.Broadcast{Communes: []string{"A"}}, true},
		{"officer, own communes", officer, store.Broadcast{Communes: []string{"A", "B"}}, true},
		{"officer, another among them", officer, store.Broadcast{Communes: []string{"A", "C"}}, false},
		{"officer, province", officer, store.Broadcast{ProvinceWide: true}, false},
		{"officer, nothing chosen", officer, store.Broadcast{}, false},
		{"admin, province", admin, store.Broadcast{ProvinceWide: true}, true},
		{"admin, any commune", admin, store.Broadcast{Communes: []string{"C"}}, true},
	}
	for _, tt := range tests {
		if got := InScope(tt.s, tt.d); got != tt.want {
			t.Errorf("%s: InScope = %v", tt.name, got)
		}
	}
	if Allowed(store.Staff{Role: store.RoleOfficer}) || Allowed(store.Staff{Role: store.RoleCounsellor}) || !Allowed(officer) || !Allowed(admin) {
		t.Error("Allowed: officers with communes and admins only")
	}
	for _, tt := range []struct {
		role store.Role
		n    int
		want store.BroadcastStatus
	}{
		{store.RoleOfficer, 500, store.BroadcastScheduled},
		{store.RoleOfficer, 501, store.BroadcastPending},
		{store.RoleAdmin, 5000, store.BroadcastScheduled},
	} {
		if got := Status(tt.role, tt.n, 500); got != tt.want {
			t.Errorf("Status(%s, %d) = %s, want %s", tt.role, tt.n, got, tt.want)
		}
	}
}
