package store_test

import (
	"context"
	"testing"
	"time"

	"reentrybot/store"
)

// The narrowest group covering a commune takes its cases; none covers a
// commune outside every group.
func TestGroupFor(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	bind := func(chat int64, communes ...string) {
		t.Helper()
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.BindGroup(ctx, chat, communes, 0) }); err != nil {
			t.Fatal(err)
		}
	}
	bind(-1, "07840", "07228")
	bind(-2, "07840")
	for _, tc := range []struct {
		commune string
		want    int64 // 0: no group
	}{
		{"07840", -2}, {"07228", -1}, {"07210", 0}, {"", 0},
	} {
		g, ok, err := db.GroupFor(ctx, tc.commune)
		if err != nil {
			t.Fatal(err)
		}
		if got := map[bool]int64{true: g.ChatID}[ok]; got != tc.want {
			t.Errorf("GroupFor(%q) = %d, want %d", tc.commune, got, tc.want)
		}
	}
	bind(-3) // the province: the fallback for every commune
	if g, ok, err := db.GroupFor(ctx, "07210"); err != nil || !ok || g.ChatID != -3 {
		t.Errorf("GroupFor(07210) with a province group = %d %v %v", g.ChatID, ok, err)
	}
	if g, _, _ := db.GroupFor(ctx, "07840"); g.ChatID != -2 {
		t.Errorf("a commune's own group should come before the province's, got %d", g.ChatID)
	}
}

// Who must leave a group: by role, scope and revocation.
func TestIntruders(t *testing.T) {
	ctx := context.Background()
	db, _ := newDB(t)
	const bot = 999
	staff := map[string]int64{}
	add := func(name string, role store.Role, communes []string, tg int64) {
		t.Helper()
		id, err := db.CreateInvite(ctx, role, communes, name, []byte(name), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.RedeemInvite(ctx, []byte(name), tg, testNow)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		staff[name] = id
	}
	add("province", store.RoleCounsellor, nil, 1)
	add("a", store.RoleCounsellor, []string{"07840"}, 2)
	add("ab", store.RoleCounsellor, []string{"07840", "07228"}, 3)
	add("officer", store.RoleOfficer, []string{"07840"}, 4)
	add("admin", store.RoleAdmin, nil, 5)
	add("revoked", store.RoleCounsellor, nil, 6)
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.BindGroup(ctx, -1, []string{"07840"}, 0); err != nil {
			return err
		}
		if err := tx.BindGroup(ctx, -2, nil, 0); err != nil {
			return err
		}
		for _, g := range []int64{-1, -2} {
			for _, u := range []int64{1, 2, 3, 4, 5, 7, bot} { // 7: not staff
				if err := tx.NoteMember(ctx, g, u, "", "member"); err != nil {
					return err
				}
			}
		}
		return tx.NoteMember(ctx, -3, 1, "", "member") // not a staff group: ignored
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeStaff(ctx, staff["revoked"]); err != nil {
		t.Fatal(err)
	}
	got, err := db.Intruders(ctx, 0, bot)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Intruder{
		{ChatID: -2, UserID: 2, Status: "member"}, {ChatID: -2, UserID: 3, Status: "member"},
		{ChatID: -2, UserID: 4, Status: "member"}, {ChatID: -2, UserID: 6, FirstName: "revoked"},
		{ChatID: -2, UserID: 7, Status: "member"},
		{ChatID: -1, UserID: 4, Status: "member"}, {ChatID: -1, UserID: 6, FirstName: "revoked"},
		{ChatID: -1, UserID: 7, Status: "member"},
	}
	if len(got) != len(want) {
		t.Fatalf("intruders:\n got %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("intruder %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// Once removed, the revoked member is not listed again.
	if err := db.NoteMember(ctx, -1, 6, "", store.MemberRemoved); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Intruders(ctx, -1, bot); err != nil || len(got) != 2 {
		t.Errorf("group -1 after the removal: %+v %v", got, err)
	}
}
