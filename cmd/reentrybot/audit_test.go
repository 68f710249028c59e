package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"reentrybot/dbtest"
	"reentrybot/store"
)

// audit affected lists the people whose cases a suspect account touched in
// the window, and no one else; an erased person is said to have nobody to
// notify; audit held counts everyone a database leak would reach.
func TestAuditAffected(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t), "TELEGRAM_BOT_TOKEN": "", "TIME_ZONE": "Asia/Ho_Chi_Minh"}
	if code, _, errOut := runCmd(t, env, "staff", "invite", "--role", "counsellor", "--communes", "all", "--name", "Chị Lan", "--bot", "reentry_bot", "--qr", t.TempDir()+"/qr.png"); code != 0 {
		t.Fatal(errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Cases 1 and 2 (person 1) seen by staff 1 in the window, case 3
	// (person 2) before it, case 4 (person 3, erased since) in it, case 5
	// (person 4) by someone else in it.
	if _, err := db.X.Exec(`
INSERT INTO people (external_id, chat_ref) VALUES ('11', '11'), ('12', '12'), ('13', '13'), ('14', '14');
INSERT INTO cases (person_id, kind) VALUES (1, 'job'), (1, 'loan'), (2, 'job'), (3, 'course'), (4, 'job');
INSERT INTO audit_log (at, staff_id, action, case_id) VALUES
  ('2026-12-02 02:00Z', 1, 'view', 1), ('2026-12-02 03:00Z', 1, 'take', 2), ('2026-12-01 09:00Z', 1, 'view', 3),
  ('2026-12-02 04:00Z', 1, 'view', 4), ('2026-12-02 04:00Z', NULL, 'card_posted', 5)`); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ErasePerson(ctx, 3, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)) }); err != nil {
		t.Fatal(err)
	}
	// The window is local time: 2026-12-02 00:00 ICT is 2026-12-01 17:00Z.
	code, out, errOut := runCmd(t, env, "audit", "affected", "--staff", "1", "--from", "2026-12-02", "--to", "2026-12-03")
	if code != 0 {
		t.Fatalf("%d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "person 1 ") || !strings.Contains(lines[0], "#1 #2") || !strings.Contains(lines[0], "take,view") ||
		// (erasure may renumber the case: the line names whatever it is now)
		!strings.Contains(lines[1], " erased ") || !strings.Contains(lines[1], "cases #") || !strings.Contains(lines[1], "erased: nobody to notify") ||
		lines[2] != "2 people affected: 1 to notify, 1 erased before" {
		t.Fatalf("affected:\n%s", out)
	}
	if code, out, _ := runCmd(t, env, "audit", "affected", "--action", "card_posted", "--from", "2026-12-02 09:00", "--to", "2026-12-02 12:00", "--csv"); code != 0 ||
		!strings.HasPrefix(out, "\ufeffperson_id,") || !strings.Contains(out, "\n4,telegram,false,true,,#5,card_posted,") || strings.Count(out, "\n") != 2 {
		t.Fatalf("affected --csv: %q", out)
	}
	for _, bad := range [][]string{
		{"--staff", "1"},
		{"--from", "2026-12-02", "--to", "yesterday"},
		{"--from", "2026-12-03", "--to", "2026-12-02"},
		{"--from", "2026-12-02", "--to", "2026-12-03", "--case", "1,x"},
	} {
		if code, _, _ := runCmd(t, env, append([]string{"audit", "affected"}, bad...)...); code == 0 {
			t.Errorf("audit affected %v accepted", bad)
		}
	}
	if code, out, _ := runCmd(t, env, "audit", "held"); code != 0 || !strings.Contains(out, "telegram   4\n") || !strings.Contains(out, "4 people whose data") {
		t.Fatalf("held: %d %q", code, out)
	}
	// The audit log listing is still there.
	if code, out, _ := runCmd(t, env, "audit", "--case", "1"); code != 0 || !strings.Contains(out, "Chị Lan") {
		t.Fatalf("audit --case 1: %d %q", code, out)
	}
}
