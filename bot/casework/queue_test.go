package casework_test

import (
	"strings"
	"testing"
	"time"

	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/store"
)

// /queue lists the open cases in a counsellor's scope, oldest first, with
// their age and who took them; /mine those they took; an officer is told
// they handle none; anyone else gets the unknown-command answer. Every
// listing is audited with its count.
func TestQueue(t *testing.T) {
	now := bottest.Local(2026, 12, 1, 10, 0)
	r := bottest.New(t, bottest.WithFastLimits(), bottest.WithClock(bottest.NewClock(now).Now))
	r.LoadCommunes()
	r.Run()
	minh := r.StaffAccount(store.RoleCounsellor, nil, "Anh Minh")
	xa := r.StaffAccount(store.RoleCounsellor, []string{"07210"}, "Chị Xa")
	officer := r.StaffAccount(store.RoleOfficer, []string{"07840"}, "Cán bộ xã")
	stranger := r.API.NewUser("Lạ", "vi")
	_, an := r.Returnee("Lê Văn An")
	_, binh := r.Returnee("Phạm Thị Bình")
	addCase(r, an, "job", store.CaseAssigned, staffID(r, minh), now.Add(-30*time.Minute))  // #1
	addCase(r, binh, "other", store.CaseNew, 0, now.Add(-3*24*time.Hour))                  // #2
	addCase(r, binh, "loan", store.CaseClosed, staffID(r, minh), now.Add(-5*24*time.Hour)) // #3: closed, never listed
	cat := func(key string, count int) string {
		s := r.Cat.T("vi", key, map[string]any{"Count": count})
		return strings.NewReplacer("<b>", "", "</b>", "").Replace(s)
	}
	tests := []struct {
		name       string
		who        botapitest.User
		cmd        string
		want       []string // in this order
		absent     []string
		auditCount string // the audit row's detail, "" for none
	}{
		{"all open cases, oldest first", minh, "/queue",
			[]string{cat("queue_header", 2), "#2 · ", cat("age_days", 3), "#1 · ", cat("age_minutes", 30) + " · Anh Minh", r.Cat.T("vi", "queue_hint", nil)},
			[]string{"#3"}, "2"},
		{"the cases one took", minh, "/mine", []string{cat("mine_header", 1), "#1 · "}, []string{"#2", "#3"}, "1"},
		{"nothing in another commune", xa, "/queue", []string{r.Cat.T("vi", "queue_empty", nil)}, nil, "0"},
		{"none taken", xa, "/mine", []string{r.Cat.T("vi", "mine_empty", nil)}, nil, "0"},
		{"an officer handles no cases", officer, "/queue", []string{r.Cat.T("vi", "officer_no_cases", nil)}, []string{"#"}, ""},
		{"not staff", stranger, "/queue", []string{r.Cat.T("vi", "unknown_command", nil)}, []string{"#"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ask(r, tt.who, tt.cmd)
			at := 0
			for _, w := range tt.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("%s answered:\n%s\nwant %q (after byte %d)", tt.cmd, got, w, at)
				}
				at += i + len(w)
			}
			for _, a := range tt.absent {
				if strings.Contains(got, a) {
					t.Errorf("%s answered:\n%s\nwant no %q", tt.cmd, got, a)
				}
			}
		})
	}
	for _, a := range []struct{ action, detail string }{{"queue", "2"}, {"mine", "1"}, {"queue", "0"}, {"mine", "0"}, {"denied_command", "queue"}} {
		if n := audited(r, a.action, a.detail); n != 1 {
			t.Errorf("audit %s %q: %d rows, want 1", a.action, a.detail, n)
		}
	}
	if n := audited(r, "queue", "1"); n != 0 {
		t.Errorf("the officer's /queue audited as a listing")
	}
}
