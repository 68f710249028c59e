package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadDesk(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		want    Desk
	}{
		{"off by default", map[string]string{}, "", Desk{IdleTimeout: 30 * time.Minute, LockAfter: 20, LockFor: 15 * time.Minute, AddrLimit: 50, AddrWindow: 15 * time.Minute}},
		{"on", map[string]string{"DESK_ADDR": "127.0.0.1:8090", "DESK_URL": "https://desk.example.vn/", "DESK_IDLE_TIMEOUT": "10m", "DESK_LOCK_AFTER": "5", "DESK_LOCK_FOR": "1h",
			"DESK_ADDR_LIMIT": "200", "DESK_ADDR_WINDOW": "1h"}, "",
			Desk{Addr: "127.0.0.1:8090", URL: "https://desk.example.vn", IdleTimeout: 10 * time.Minute, LockAfter: 5, LockFor: time.Hour, AddrLimit: 200, AddrWindow: time.Hour}},
		{"address without port", map[string]string{"DESK_ADDR": "localhost"}, "DESK_ADDR", Desk{}},
		{"URL without scheme", map[string]string{"DESK_URL": "desk.example.vn"}, "DESK_URL", Desk{}},
		{"idle too short", map[string]string{"DESK_IDLE_TIMEOUT": "10s"}, "DESK_IDLE_TIMEOUT", Desk{}},
		{"lock after zero", map[string]string{"DESK_LOCK_AFTER": "0"}, "DESK_LOCK_AFTER", Desk{}},
		{"lock for days", map[string]string{"DESK_LOCK_FOR": "48h"}, "DESK_LOCK_FOR", Desk{}},
		{"address limit zero", map[string]string{"DESK_ADDR_LIMIT": "0"}, "DESK_ADDR_LIMIT", Desk{}},
		{"address window not a duration", map[string]string{"DESK_ADDR_WINDOW": "15"}, "DESK_ADDR_WINDOW", Desk{}},
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
			if err != nil || !reflect.DeepEqual(c.Desk, tt.want) {
				t.Fatalf("%+v (%v), want %+v", c.Desk, err, tt.want)
			}
		})
	}
}
