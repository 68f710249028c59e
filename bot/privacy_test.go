package bot_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"reentrybot/bot"
	"reentrybot/botapitest"
)

// /stop stops announcements only: the reminder of the person's own loan
// appointment still comes.
func TestStopKeepsReminders(t *testing.T) {
	r, fc := remindRig(t, local(2026, 12, 1, 10, 0))
	u, p := r.returnee("Lê Văn An")
	var day, appt int64
	if err := r.x.Get(&day, `
INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity)
VALUES ('07840', '2026-12-10', 'Điểm giao dịch xã Hoàng Vân', '08:30', '11:00', 20) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := r.x.Get(&appt, `INSERT INTO appointments (loan_day_id, person_id) VALUES ($1, $2) RETURNING id`, day, p); err != nil {
		t.Fatal(err)
	}
	r.driver(u).say("/stop")
	r.waitText(u.ID, "không nhận thông báo chung")
	if !r.AnnouncementsOff(p) {
		t.Fatal("/stop did not turn announcements off")
	}
	r.runReminders()
	fc.Set(local(2026, 12, 9, 8, 0))
	r.runReminders()
	r.wantReminderState("loan_day", appt, "sent")
	r.waitText(u.ID, "Điểm giao dịch xã Hoàng Vân")
}

func withNotice(months int, controller, contact string) rigOption {
	return func(o *bot.Options, _ *[]botapitest.Option) {
		o.RetentionMonths, o.ControllerName, o.ControllerContact = months, controller, contact
	}
}

// Issue 16, item 4: the notice before consent says what the bot's
// settings are (retention, controller, contact), who sees what, and that
// messages pass through Telegram.
func TestPrivacyNoticeFromSettings(t *testing.T) {
	tests := []struct {
		name   string
		opt    rigOption
		months string
		who    string
	}{
		{"six months", withNotice(6, "Trung tâm Thử nghiệm", "0222 3822 000"), "6 tháng kể từ lần liên hệ cuối", "Trung tâm Thử nghiệm. Liên hệ về dữ liệu: 0222 3822 000"},
		{"two years", withNotice(24, "", ""), "24 tháng kể từ lần liên hệ cuối", "Trung tâm Dịch vụ việc làm tỉnh Bắc Ninh"},
		{"never erased", withNotice(0, "", ""), "đến khi bạn xóa", "Gặp tư vấn viên"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, withFastLimits(), tt.opt)
			r.run()
			u := r.api.NewUser("An", "vi")
			r.driver(u).say("/start")
			notice := r.waitText(u.ID, "Dữ liệu cá nhân của bạn")
			for _, want := range []string{tt.months, tt.who, "Cán bộ xã/phường chỉ thấy số lượng", "máy chủ của Telegram ở nước ngoài", "Bạn có đồng ý không?",
				"<i>Việc làm</i>", "<i>Học nghề</i>", "<i>Vay vốn</i>", "<i>Thông báo</i>"} {
				if !strings.Contains(notice.RawText, want) {
					t.Errorf("notice lacks %q:\n%s", want, notice.RawText)
				}
			}
		})
	}
}

// /privacy in the middle of a flow answers with the notice, asks the
// question again, and the flow goes on.
func TestPrivacyCommandMidFlow(t *testing.T) {
	r := newRig(t, withFastLimits(), withNotice(6, "", ""))
	r.loadCommunes()
	r.run()
	u := r.api.NewUser("An", "vi")
	d := r.driver(u)
	d.say("/start")
	d.tap("agree_all")
	d.tap("m:counsel")
	r.waitText(u.ID, "Họ và tên của bạn")
	// Each decision keeps the language its text was read in.
	var langs []string
	if err := r.x.Select(&langs, `SELECT DISTINCT coalesce(language, 'NULL') FROM consents`); err != nil || len(langs) != 1 || langs[0] != "vi" {
		t.Fatalf("consent languages %v, %v; want [vi]", langs, err)
	}
	before := len(r.botMessages(u.ID))
	d.say("/privacy")
	msgs := r.waitBot(u.ID, before+2)
	if got := msgs[before].Text; !strings.Contains(got, "6 tháng") || strings.Contains(got, "Bạn có đồng ý không?") {
		t.Fatalf("/privacy answered %q", got)
	}
	if got := msgs[before+1].Text; !strings.Contains(got, "Họ và tên của bạn") {
		t.Fatalf("after the notice %q, want the name question again", got)
	}
	d.say("Nguyễn Văn An")
	r.waitText(u.ID, "Số điện thoại của bạn")
	var state string
	if err := r.x.Get(&state, `SELECT flow || '/' || state FROM conversations c JOIN people p ON p.id = c.person_id WHERE p.external_id = $1`, itoa(u.ID)); err != nil {
		t.Fatal(err)
	}
	if state != "profile/phone" {
		t.Fatalf("conversation at %s after /privacy and a name, want profile/phone", state)
	}
	// It is in Telegram's command menu and in /help.
	for _, lang := range []string{"", "en"} {
		if !slices.ContainsFunc(r.api.Commands("default", lang), func(c models.BotCommand) bool { return c.Command == "privacy" }) {
			t.Errorf("/privacy not in the command menu (%q)", lang)
		}
	}
	d.say("/help")
	r.waitText(u.ID, "/privacy – dữ liệu của bạn được dùng thế nào")
}
