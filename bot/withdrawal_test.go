package bot_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"reentrybot/flows"
	"reentrybot/store"
)

// Withdrawing the job purpose in My data closes the open job case as
// "consent withdrawn", tells the person what that means and the
// counsellors in the case's topic; the other purposes' cases stay open.
func TestWithdrawalClosesTheCase(t *testing.T) {
	r := newRig(t, withFastLimits())
	r.loadSamples()
	r.run()
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	g := r.staffGroup(admin)
	u := r.api.NewUser("Tâm", "vi")
	d := r.driver(u)
	d.consentAndProfile("m:job", "Đỗ Văn Tâm")
	for _, id := range []string{"t:garment", "t:factory", "done", "v:none", "v:none", "v:province", "v:full", "v:any", "v:now", "v:no", "skip", "b:transport", "done", "done", "confirm"} {
		d.tap(id)
	}
	r.waitText(u.ID, "số 1")
	r.waitFor("the case's topic", func() bool { return len(r.api.Topics(g.ID)) == 1 })

	d.say("/mydata")
	d.tap("consents")
	d.tap("p:job")
	d.tap("done")
	// Asked first: what withdrawing closes.
	r.waitText(u.ID, "Bạn vẫn muốn rút lại đồng ý?")
	d.tap("yes")
	r.waitText(u.ID, "đã đóng 1 yêu cầu")
	var c struct {
		Status  string `db:"status"`
		Outcome string `db:"outcome"`
	}
	if err := r.x.Get(&c, `SELECT status, outcome FROM cases WHERE kind = 'job'`); err != nil || c.Status != "closed" || c.Outcome != store.OutcomeWithdrawn {
		t.Fatalf("job case %+v (%v)", c, err)
	}
	topic := r.api.Topics(g.ID)[0]
	r.waitFor("the counsellors told in the topic", func() bool {
		for _, m := range r.api.TopicMessages(g.ID, topic.ThreadID) {
			if m.FromBot && strings.Contains(m.Text, "rút lại đồng ý") {
				return true
			}
		}
		return false
	})
	// No follow-up is planned for it: nothing more about that purpose.
	var jobCase int64
	if err := r.x.Get(&jobCase, `SELECT id FROM cases WHERE kind = 'job'`); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.PlanReminders(r.ctx, r.db.Now().AddDate(0, 0, 31), "Asia/Ho_Chi_Minh"); err != nil {
		t.Fatal(err)
	}
	var followups int
	if err := r.x.Get(&followups, `SELECT count(*) FROM reminders WHERE ref_id = $1 AND kind LIKE 'followup%'`, jobCase); err != nil || followups != 0 {
		t.Errorf("%d follow-ups planned for a withdrawn case (%v)", followups, err)
	}
	var granted bool
	if err := r.x.Get(&granted, `SELECT granted FROM consents WHERE purpose = 'job' ORDER BY decided_at DESC, id DESC LIMIT 1`); err != nil || granted {
		t.Errorf("latest job consent granted=%v (%v)", granted, err)
	}

	before := len(r.botMessages(u.ID))

	// The consent history outlives /delete: the person's export taken
	// before names an evidence token, and under it afterwards are exactly
	// the decisions the export listed, the withdrawal among them.
	var pid int64
	if err := r.x.Get(&pid, `SELECT id FROM people WHERE channel = 'telegram' AND external_id = $1`, strconv.FormatInt(u.ID, 10)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Consents []store.ConsentRecord `json:"consents"`
	}
	if err := r.db.InTx(r.ctx, func(tx *store.Tx) error {
		ex, err := tx.ExportPerson(r.ctx, pid, r.db.Now())
		if err != nil {
			return err
		}
		return json.Unmarshal(ex.JSON, &doc)
	}); err != nil {
		t.Fatal(err)
	}
	last := doc.Consents[len(doc.Consents)-1]
	if len(doc.Consents) != len(flows.Purposes)+1 || last.Purpose != "job" || last.Granted || len(last.TextHash) != 64 || last.Language != "vi" || last.Channel != "telegram" || last.Evidence == "" {
		t.Fatalf("exported consents %+v", doc.Consents)
	}
	if len(r.botMessages(u.ID)) != before {
		t.Error("the export sent something to the person")
	}
	d.say("/delete")
	d.tap("yes")
	r.waitText(u.ID, "Đã xóa thông tin của bạn")
	kept, err := store.ConsentEvidence(r.ctx, r.db, last.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	for i := range kept {
		kept[i].DecidedAt, doc.Consents[i].DecidedAt = kept[i].DecidedAt.UTC(), doc.Consents[i].DecidedAt.UTC()
	}
	if !reflect.DeepEqual(kept, doc.Consents) {
		t.Errorf("after /delete the evidence differs from the export:\nexport: %+v\nkept:   %+v", doc.Consents, kept)
	}
	var named int
	if err := r.x.Get(&named, `SELECT count(*) FROM consents WHERE person_id = $1`, pid); err != nil || named != 0 {
		t.Errorf("%d consents still name the erased person (%v)", named, err)
	}
}
