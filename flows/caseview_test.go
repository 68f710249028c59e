package flows_test

import (
	"encoding/json"
	"testing"

	"reentrybot/flows"
	"reentrybot/i18n"
)

// A counsellor's card spells out the answers of requests stored before a
// question changed as well as of new ones.
func TestCaseViewOldAndNewAnswers(t *testing.T) {
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := flows.NewEngine(nil, flows.WithCatalog(cat))
	tests := []struct {
		name, kind, answers string
		want                map[string]string
	}{
		{"loan before the household question", "loan",
			`{"purpose":"business","amount":"gt100","certificate":"yes","within_5_years":"yes","cosigner":"yes","overdue_debt":"no"}`,
			map[string]string{"Amount": "Trên 100 triệu đ", "Certificate": "Có giấy khi trở về", "Household": "Có", "Debt": "Không"}},
		{"loan now", "loan",
			`{"purpose":"study","amount":"2to4m","certificate":"amnesty","returned":"05/2019","household_rep":"no","vbsp_overdue_debt":"yes"}`,
			map[string]string{"Amount": "2–4 triệu đ mỗi tháng", "Certificate": "Có giấy về trước thời hạn", "Household": "Không, tôi tự đứng tên", "Debt": "Có", "Returned": "05/2019"}},
		{"course, not sure about earlier support", "course",
			`{"trade":"garment","place":"province","title":"May","vt_support_unknown":true}`,
			map[string]string{"Prior": "Không rõ"}},
		{"job before the Centre's fields", "job",
			`{"trades":["garment"],"where":"province","hours":"full","start":"now","barriers":["none"]}`,
			map[string]string{"Status": "—", "Qualification": "—", "Wage": "—", "Abroad": "—", "Priority": "—"}},
		{"job now", "job",
			`{"trades":["garment"],"work_status":"casual","qualification":"intermediate","where":"province","hours":"full","wage":"7to10","start":"now","abroad":"no","barriers":["none"],"priority":["near_poor"]}`,
			map[string]string{"Status": "Làm thời vụ, không ổn định", "Qualification": "Trung cấp", "Wage": "7–10 triệu đ", "Abroad": "Không", "Priority": "Hộ cận nghèo"}},
		{"counsellor request", "other", `{"reason":"Tôi cần hỏi"}`,
			map[string]string{"Area": "", "Reason": "Tôi cần hỏi"}},
		{"other help, words skipped", "other", `{"area":"legal","reason":""}`,
			map[string]string{"Area": "⚖️ Trợ giúp pháp lý", "Reason": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, params, err := eng.CaseView("vi", tt.kind, json.RawMessage(tt.answers))
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got := params[k]; got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}
