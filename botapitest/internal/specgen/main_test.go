package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	raw, err := os.ReadFile("testdata/mini.json")
	if err != nil {
		t.Fatal(err)
	}
	var sp spec
	if err := json.Unmarshal(raw, &sp); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		methods []string
		want    []string // lines the table must hold
		not     []string
		wantErr string
	}{
		{name: "method, its types and the union's tags",
			methods: []string{"setMyCommands", "getMe"},
			want: []string{
				`const specVersion = "Bot API 0.1"`,
				`{"commands", []string{"Array of BotCommand"}, true},`,
				`"getMe": {},`,
				`"BotCommandScope": {subtypes: []string{"BotCommandScopeDefault", "BotCommandScopeChat"}}`,
				`"BotCommandScopeChat": {tag: specTag{"type", "chat"},`,
				`{"chat_id", []string{"Integer", "String"}, true},`,
			},
			not: []string{`"Unused"`}},
		{name: "unknown method", methods: []string{"sendRocket"}, wantErr: "method sendRocket is not in the specification"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := generate(sp, tt.methods)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(src), w) {
					t.Errorf("missing %s in\n%s", w, src)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(string(src), n) {
					t.Errorf("unexpected %s", n)
				}
			}
		})
	}
}
