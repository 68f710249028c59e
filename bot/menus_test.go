package bot_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"reentrybot/bot"
	"reentrybot/botapitest"
	"reentrybot/store"
)

func commandNames(r *rig, scope, lang string) string {
	var names []string
	for _, c := range r.api.Commands(scope, lang) {
		names = append(names, c.Command)
	}
	return strings.Join(names, " ")
}

// What Telegram shows of the bot (issue 18): its description before Start,
// in both languages; a staff member's commands in their own chat's menu
// once the invitation is redeemed, gone once revoked; the group's after
// /setup; an upload action while the report is made.
func TestTelegramSurfaces(t *testing.T) {
	r := newRig(t, withFastLimits(), func(o *bot.Options, _ *[]botapitest.Option) { o.SweepEvery = 100 * time.Millisecond })
	r.run()
	r.waitFor("the description", func() bool { return r.api.Description(true, "en") != "" && r.api.Description(true, "") != "" })
	if d := r.api.Description(false, ""); !strings.Contains(d, "miễn phí") || strings.Contains(strings.ToLower(d), "tù") {
		t.Errorf("Vietnamese description %q", d)
	}
	if d := r.api.Description(true, "en"); !strings.Contains(d, "Free advice") {
		t.Errorf("English short description %q", d)
	}

	counsellor := r.staffAccount(store.RoleCounsellor, nil, "Chị Lan")
	scope := fmt.Sprintf("chat:%d", counsellor.ID)
	// Set language by language: wait for the last one.
	r.waitFor("the counsellor's menu", func() bool { return commandNames(r, scope, "") != "" && commandNames(r, scope, "en") != "" })
	if got := commandNames(r, scope, ""); got != "queue mine case take done close help" {
		t.Errorf("counsellor's menu %q", got)
	}
	if c := r.api.Commands(scope, "en"); len(c) == 0 || c[0].Description != "Open cases in your scope" {
		t.Errorf("English menu %+v", c)
	}
	admin := r.staffAccount(store.RoleAdmin, nil, "Quản trị")
	officer := r.staffAccount(store.RoleOfficer, []string{"07840"}, "Cán bộ xã")
	r.waitFor("the officer's menu", func() bool {
		return commandNames(r, fmt.Sprintf("chat:%d", officer.ID), "") == "announce announcements cancel report help"
	})
	g := r.staffGroup(admin)
	r.waitFor("the group's menu", func() bool { return commandNames(r, fmt.Sprintf("chat:%d", g.ID), "") == "note" })
	returnee := r.api.NewUser("Hoa", "vi")
	r.waitSeen(r.api.SendText(returnee, "/start"))
	if got := commandNames(r, fmt.Sprintf("chat:%d", returnee.ID), ""); got != "" {
		t.Errorf("a returnee's chat has a menu of its own: %q", got)
	}

	var id int64
	if err := r.x.Get(&id, `SELECT id FROM staff WHERE display_name = 'Chị Lan'`); err != nil {
		t.Fatal(err)
	}
	if err := r.db.RevokeStaff(r.ctx, id); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the revoked member's menu removed", func() bool {
		var menu *int64
		return commandNames(r, scope, "") == "" && commandNames(r, scope, "en") == "" &&
			r.x.Get(&menu, `SELECT menu_chat_id FROM staff WHERE id = $1`, id) == nil && menu == nil
	})

	r.waitSeen(r.api.SendText(admin, "/report 2026-11"))
	r.waitFor("the workbook", func() bool { return len(filesOf(r, admin.ID, "document")) == 1 })
	action, doc := -1, -1
	r.waitFor("the workbook's call in the log", func() bool { // logged as the call ends
		action, doc = -1, -1
		for i, c := range r.api.CallLog() {
			if c.Method == "sendChatAction" && c.ChatID == admin.ID && action < 0 {
				action = i
			}
			if c.Method == "sendDocument" && (c.ChatID == admin.ID || c.ChatID == 0) {
				doc = i
			}
		}
		return doc >= 0
	})
	if action < 0 || action > doc {
		t.Errorf("upload action at call %d, the workbook at %d", action, doc)
	}
}

// serve on an empty database (issue 18): the communes come with the
// migrations, so a person finishes a profile with no import run.
func TestProfileOnAFreshDatabase(t *testing.T) {
	r := newRig(t, withFastLimits()) // no loadCommunes
	r.run()
	u := r.api.NewUser("Tâm", "vi")
	r.driver(u).consentAndProfile("m:job", "Đỗ Văn Tâm")
	r.waitFor("the profile in Hiệp Hòa", func() bool {
		var n int
		return r.x.Get(&n, `SELECT count(*) FROM people WHERE commune_code = $1 AND education IS NOT NULL`, "07840") == nil && n == 1
	})
}
