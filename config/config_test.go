package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string // each must appear in the error
	}{
		{"defaults", map[string]string{}, nil},
		{"full polling", map[string]string{
			"TELEGRAM_BOT_TOKEN": "123:abc_DEF-9", "DATABASE_URL": "postgres://u@localhost/db?sslmode=disable",
			"HTTP_ADDR": "127.0.0.1:9000", "LOG_LEVEL": "debug",
		}, nil},
		{"webhook", map[string]string{"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "s3cr_et-X"}, nil},
		{"bad token", map[string]string{"TELEGRAM_BOT_TOKEN": "nocolon"}, []string{"TELEGRAM_BOT_TOKEN"}},
		{"bad api url", map[string]string{"TELEGRAM_API_URL": "ftp://x"}, []string{"TELEGRAM_API_URL"}},
		{"bad db url", map[string]string{"DATABASE_URL": "mysql://x"}, []string{"DATABASE_URL"}},
		{"bad addr", map[string]string{"HTTP_ADDR": "8080"}, []string{"HTTP_ADDR"}},
		{"webhook without secret", map[string]string{"WEBHOOK_URL": "https://x.org/h"}, []string{"WEBHOOK_SECRET: is required"}},
		{"bad secret", map[string]string{"WEBHOOK_SECRET": "has space"}, []string{"WEBHOOK_SECRET"}},
		{"bad level", map[string]string{"LOG_LEVEL": "loud"}, []string{"LOG_LEVEL"}},
		{"bad zone", map[string]string{"TIME_ZONE": "Mars/Base"}, []string{"TIME_ZONE"}},
		{"bad rate", map[string]string{"SEND_RATE": "0"}, []string{"SEND_RATE"}},
		{"bad workers", map[string]string{"WORKERS": "many"}, []string{"WORKERS"}},
		{"bad retention", map[string]string{"RETENTION_MONTHS": "-1"}, []string{"RETENTION_MONTHS"}},
		{"controller too long", map[string]string{"CONTROLLER_NAME": strings.Repeat("Trung tâm ", 40)}, []string{"CONTROLLER_NAME"}},
		{"bad days", map[string]string{"WORK_DAYS": "0-5"}, []string{"WORK_DAYS"}},
		{"bad hours", map[string]string{"WORK_HOURS": "17:00-07:30"}, []string{"WORK_HOURS"}},
		{"all reported", map[string]string{"LOG_LEVEL": "x", "WORKERS": "0"}, []string{"LOG_LEVEL", "WORKERS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.TimeZone == nil || c.Workers < 1 || c.SendRate <= 0 || !strings.Contains(c.ControllerName, "Bắc Ninh") || c.ControllerContact == "" {
					t.Fatalf("defaults not applied: %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error naming %v, got none", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestRequireServe(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	err = c.RequireServe()
	if err == nil || !strings.Contains(err.Error(), "TELEGRAM_BOT_TOKEN") || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("want both required variables named, got %v", err)
	}
}

func TestWorkingHours(t *testing.T) {
	c, err := Load(env(map[string]string{"WORK_DAYS": "1-5,7", "WORK_HOURS": "08:00-16:30"}))
	if err != nil {
		t.Fatal(err)
	}
	want := [7]bool{true, true, true, true, true, true, false} // Sunday … Saturday
	if c.WorkDays != want {
		t.Errorf("days %v, want %v", c.WorkDays, want)
	}
	if c.WorkStart != 8*time.Hour || c.WorkEnd != 16*time.Hour+30*time.Minute {
		t.Errorf("hours %v-%v", c.WorkStart, c.WorkEnd)
	}
}
