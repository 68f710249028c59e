package config

import (
	"strings"
	"testing"
)

func TestLoadZalo(t *testing.T) {
	full := map[string]string{"ZALO_OA_ID": "4321", "ZALO_APP_ID": "1234", "ZALO_APP_SECRET": "s", "ZALO_OA_SECRET": "k"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		check   func(Zalo) bool
	}{
		{"off by default", map[string]string{}, "", func(z Zalo) bool {
			return !z.Enabled() && z.AllowedFrom == 6 && z.AllowedTo == 22 && z.PaidMonthlyCap == 1000
		}},
		{"on", full, "", func(z Zalo) bool {
			return z.Enabled() && z.APIURL == "https://openapi.zalo.me" && z.ZNSURL == "https://business.openapi.zalo.me"
		}},
		{"secrets required", map[string]string{"ZALO_OA_ID": "4321"}, "ZALO_OA_SECRET: is required", nil},
		{"hours", with(map[string]string{"ZALO_ZNS_HOURS": "7-21"}), "", func(z Zalo) bool { return z.AllowedFrom == 7 && z.AllowedTo == 21 }},
		{"hours backwards", with(map[string]string{"ZALO_ZNS_HOURS": "22-6"}), "ZALO_ZNS_HOURS", nil},
		{"cap negative", with(map[string]string{"ZALO_PAID_MONTHLY_CAP": "-1"}), "ZALO_PAID_MONTHLY_CAP", nil},
		{"bad URL", with(map[string]string{"ZALO_API_URL": "openapi.zalo.me"}), "ZALO_API_URL", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(c.Zalo) {
				t.Fatalf("%+v (%v)", c.Zalo, err)
			}
		})
	}
	// The secrets are masked in `reentrybot config`.
	for _, s := range Describe(env(full)) {
		if (s.Name == "ZALO_APP_SECRET" || s.Name == "ZALO_OA_SECRET") && s.Value != "****" {
			t.Errorf("%s shown as %q", s.Name, s.Value)
		}
	}
}
