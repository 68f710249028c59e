package config

import (
	"strings"
	"testing"
)

func TestLoadReach(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    Reach
		wantErr string
	}{
		{"none: no poster settings", map[string]string{}, Reach{}, ""},
		{"all", map[string]string{
			"PUBLIC_URL": " https://vieclam.example.vn/ ", "TELEGRAM_BOT_USERNAME": "@vieclam_bn_bot",
			"ZALO_OA_LINK": "https://zalo.me/4318171372898651234", "CENTRE_PHONE": "(0204) 3855 123",
		}, Reach{"https://vieclam.example.vn", "vieclam_bn_bot", "https://zalo.me/4318171372898651234", "(0204) 3855 123"}, ""},
		{"public URL with a query", map[string]string{"PUBLIC_URL": "https://x.vn/?a=1"}, Reach{}, "PUBLIC_URL"},
		{"public URL not http", map[string]string{"PUBLIC_URL": "javascript:alert(1)"}, Reach{}, "PUBLIC_URL"},
		{"username too short", map[string]string{"TELEGRAM_BOT_USERNAME": "ab"}, Reach{}, "TELEGRAM_BOT_USERNAME"},
		{"username with a space", map[string]string{"TELEGRAM_BOT_USERNAME": "vieclam bot"}, Reach{}, "TELEGRAM_BOT_USERNAME"},
		{"zalo not a link", map[string]string{"ZALO_OA_LINK": "zalo oa"}, Reach{}, "ZALO_OA_LINK"},
		{"phone with letters", map[string]string{"CENTRE_PHONE": "gọi 0204"}, Reach{}, "CENTRE_PHONE"},
		{"phone with markup", map[string]string{"CENTRE_PHONE": "<b>0204 3855 123</b>"}, Reach{}, "CENTRE_PHONE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Reach != tt.want {
				t.Errorf("got %+v, want %+v", c.Reach, tt.want)
			}
		})
	}
}
