package main

import (
	"regexp"
	"testing"

	"reentrybot/dbtest"
)

// With DESK_URL set, an invite also prints its web desk link, with the
// same one-time code as the Telegram link.
func TestStaffInviteDeskLink(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.URL(t), "TELEGRAM_BOT_TOKEN": "", "DESK_URL": "https://desk.example.vn/"}
	code, out, errOut := runCmd(t, env, "staff", "invite", "--role", "counsellor", "--communes", "all", "--name", "Chị Lan", "--bot", "reentry_bot", "--qr", t.TempDir()+"/qr.png")
	m := regexp.MustCompile(`start=s_(\S+)\n(?s:.*)https://desk\.example\.vn/invite/(\S+)\n`).FindStringSubmatch(out)
	if code != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("invite: %d %q %q", code, out, errOut)
	}
}
