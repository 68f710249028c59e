package casework_test

import (
	"testing"
	"time"

	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/dbtest"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// addCase adds a case of person in commune 07840, opened at, assigned to
// staff (0: nobody); a closed one has an outcome.
func addCase(r *bottest.Rig, person int64, kind string, status store.CaseStatus, staff int64, at time.Time) int64 {
	r.T.Helper()
	var assignee any
	if staff != 0 {
		assignee = staff
	}
	var id int64
	if err := r.X.Get(&id, `
INSERT INTO cases (person_id, kind, status, commune_code, opened_at, updated_at, assignee_staff_id, closed_at, outcome)
VALUES ($1, $2, $3, '07840', $4, $4, $5,
        CASE WHEN $3 = 'closed' THEN $4::timestamptz END, CASE WHEN $3 = 'closed' THEN 'job_found' END)
RETURNING id`, person, kind, string(status), at, assignee); err != nil {
		r.T.Fatal(err)
	}
	return id
}

// staffID is the staff row of a bound account.
func staffID(r *bottest.Rig, u botapitest.User) int64 {
	r.T.Helper()
	s, ok, err := r.DB.StaffByTelegram(r.Ctx, u.ID)
	if err != nil || !ok {
		r.T.Fatalf("staff %s: %v %v", u.FirstName, ok, err)
	}
	return s.ID
}

// audited counts the audit rows of action with detail.
func audited(r *bottest.Rig, action, detail string) int {
	r.T.Helper()
	var n int
	if err := r.X.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND detail = $2`, action, detail); err != nil {
		r.T.Fatal(err)
	}
	return n
}

// ask sends text as u and returns the bot's next message to u.
func ask(r *bottest.Rig, u botapitest.User, text string) string {
	r.T.Helper()
	n := len(r.BotMessages(u.ID))
	r.WaitSeen(r.API.SendText(u, text))
	return r.WaitBot(u.ID, n+1)[n].Text
}
