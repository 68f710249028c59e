package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"reentrybot/dbtest"
	"reentrybot/store"
)

// A transaction under DryRun does its work, then rolls back and says so;
// one outside it still commits.
func TestDryRun(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	write := func(ctx context.Context, key string) error {
		return db.InTx(ctx, func(tx *store.Tx) error { return tx.SetSetting(ctx, key, "x") })
	}
	calls := 0
	err := db.InTx(store.DryRun(ctx), func(tx *store.Tx) error {
		calls++
		return tx.SetSetting(ctx, "dry", "x")
	})
	if !errors.Is(err, store.ErrDryRun) || calls != 1 {
		t.Fatalf("dry run: %v after %d calls, want ErrDryRun after one", err, calls)
	}
	if err := write(ctx, "wet"); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"dry": "", "wet": "x"} {
		if got, err := db.Setting(ctx, key); err != nil || got != want {
			t.Errorf("setting %s = %q (%v), want %q", key, got, err, want)
		}
	}
}

// A page of the audit log: newest first, the filter's total, the day in
// its time zone.
func TestAuditLogPage(t *testing.T) {
	ctx := context.Background()
	db := &store.DB{X: dbtest.New(t)}
	at := time.Date(2026, 12, 3, 16, 30, 0, 0, time.UTC) // 23:30 in Hanoi
	db.SetClock(func() time.Time { return at })
	for i := 0; i < 7; i++ {
		if err := db.Audit(ctx, 0, int64(100+i), "denied_command", 0, ""); err != nil {
			t.Fatal(err)
		}
		at = at.Add(10 * time.Minute) // the last four fall on 4 December in Hanoi
	}
	hanoi := time.FixedZone("ICT", 7*3600)
	p, err := db.AuditLogPage(ctx, store.AuditFilter{}, 2, 3)
	if err != nil || p.Total != 7 || len(p.Entries) != 3 || p.Entries[0].TelegramUserID.Int64 != 104 || p.Entries[2].TelegramUserID.Int64 != 102 {
		t.Fatalf("page: %+v %v", p, err)
	}
	p, err = db.AuditLogPage(ctx, store.AuditFilter{Day: time.Date(2026, 12, 4, 0, 0, 0, 0, hanoi), Loc: hanoi}, 0, 50)
	if err != nil || p.Total != 4 || len(p.Entries) != 4 || p.Entries[3].TelegramUserID.Int64 != 103 {
		t.Fatalf("day page: %+v %v", p, err)
	}
}
