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
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if un, err := db.UnlearntGroups(ctx); err != nil || len(un) != 2 {
		t.Fatalf("groups with no member known: %v %v", un, err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
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
	if un, err := db.UnlearntGroups(ctx); err != nil || len(un) != 0 {
		t.Fatalf("groups with no member known: %v %v", un, err)
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

// An erasure sets the posts about the person's cases aside for deletion,
// unlinked, and gives the cases new numbers that their events and audit
// lines follow; a post recorded after it is set aside at once.
func TestEraseRenumbersAndSetsPostsAside(t *testing.T) {
	ctx := context.Background()
	db, id, _ := rightsFixture(t)
	var old int64
	if err := db.X.Get(&old, `SELECT id FROM cases WHERE person_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Audit(ctx, 0, 0, "card_posted", old, ""); err != nil {
			return err
		}
		return tx.RecordPost(ctx, old, 777, 12)
	}); err != nil {
		t.Fatal(err)
	}
	if posts, err := db.PostsToErase(ctx, 10); err != nil || len(posts) != 0 {
		t.Fatalf("posts to erase before the erasure: %+v %v", posts, err)
	}
	at := time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ErasePerson(ctx, id, at) }); err != nil {
		t.Fatal(err)
	}
	var now int64
	if err := db.X.Get(&now, `SELECT id FROM cases`); err != nil || now == old {
		t.Fatalf("the case is %d, was %d (%v)", now, old, err)
	}
	for table, want := range map[string]int{"case_events": 0, "audit_log": 0} {
		var n int
		if err := db.X.Get(&n, `SELECT count(*) FROM `+table+` WHERE case_id = $1`, old); err != nil || n != want {
			t.Errorf("%s: %d rows under the old number (%v)", table, n, err)
		}
	}
	var moved int
	if err := db.X.Get(&moved, `SELECT count(*) FROM audit_log WHERE case_id = $1 AND action = 'card_posted'`, now); err != nil || moved != 1 {
		t.Errorf("the audit line did not follow the case: %d (%v)", moved, err)
	}
	if err := db.RecordPost(ctx, now, 778, 13); err != nil { // sent while erasing
		t.Fatal(err)
	}
	posts, err := db.PostsToErase(ctx, 10)
	if err != nil || len(posts) != 2 || posts[0].ChatID != 777 || posts[0].Message != 12 || posts[1].ChatID != 778 {
		t.Fatalf("posts to erase: %+v %v", posts, err)
	}
	var linked int
	if err := db.X.Get(&linked, `SELECT count(*) FROM case_posts WHERE case_id IS NOT NULL`); err != nil || linked != 0 {
		t.Errorf("%d posts still name a case (%v)", linked, err)
	}
	for _, p := range posts {
		if err := db.PostErased(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if left, err := db.PostsToErase(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("left: %+v %v", left, err)
	}
}
