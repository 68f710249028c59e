package botapitest

import (
	"bytes"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSpecTableCoversServer keeps spec_table.go and the served methods in
// step (regenerate with go generate after registering a method).
func TestSpecTableCoversServer(t *testing.T) {
	for _, m := range methods {
		if _, ok := specMethods[m.name]; !ok {
			t.Errorf("%s is served but not in spec_table.go", m.name)
		}
	}
	for name := range specMethods {
		if _, ok := methods[strings.ToLower(name)]; !ok {
			t.Errorf("%s is in spec_table.go but not served", name)
		}
	}
}

// callMultipart sends fields, and files as uploads, the way go-telegram/bot
// sends every call.
func callMultipart(t *testing.T, s *Server, method string, fields, files map[string]string) (int, rawResp) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if err := w.WriteField(k, fields[k]); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		fw, err := w.CreateFormFile(name, name+".bin")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(content))
	}
	_ = w.Close()
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/"+method, w.FormDataContentType(), &body)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	return decodeResp(t, resp)
}

func TestSpecCheck(t *testing.T) {
	s := newServer(t, unlimited)
	u := s.NewUser("Lan", "vi")
	id := u.ID
	button := func(extra string) string {
		return `{"inline_keyboard":[[{"text":"Có","callback_data":"yes"` + extra + `}]]}`
	}
	type call struct {
		enc    string // json, form or multipart
		method string
		args   map[string]any
		files  map[string]string
	}
	tests := []struct {
		name       string
		call       call
		wantStatus int
		wantProb   string // in the violation and the description; "" for a valid call
		wantN      int    // violations when more than one
	}{
		{"valid JSON call passes", call{"json", "sendMessage", map[string]any{"chat_id": id, "text": "hi",
			"link_preview_options": map[string]any{"is_disabled": true}}, nil}, 200, "", 0},
		{"valid form call passes", call{"form", "sendMessage", map[string]any{"chat_id": id, "text": "hi",
			"disable_notification": "true", "reply_markup": button("")}, nil}, 200, "", 0},
		{"valid multipart upload passes", call{"multipart", "sendDocument", map[string]any{"chat_id": id, "caption": "cv"},
			map[string]string{"document": "%PDF"}}, 200, "", 0},
		{"upload by attach:// passes", call{"multipart", "sendPhoto", map[string]any{"chat_id": id, "photo": "attach://pic"},
			map[string]string{"pic": "JPEG"}}, 200, "", 0},
		{"JSON-serialised object in a JSON body passes", call{"json", "sendMessage", map[string]any{"chat_id": id, "text": "hi",
			"reply_markup": button("")}, nil}, 200, "", 0},
		{"tagged union passes", call{"json", "setMyCommands", map[string]any{
			"commands": []map[string]any{{"command": "start", "description": "Bắt đầu"}},
			"scope":    map[string]any{"type": "chat", "chat_id": id}}, nil}, 200, "", 0},
		{"unknown method", call{"json", "sendRocket", map[string]any{"chat_id": id}, nil},
			404, "method sendRocket is not in Bot API 10.1", 0},
		{"unknown field", call{"json", "sendMessage", map[string]any{"chat_id": id, "text": "hi", "colour": "red"}, nil},
			400, `unknown field "colour"`, 0},
		{"missing required field", call{"form", "sendMessage", map[string]any{"chat_id": id}, nil},
			400, `missing required field "text"`, 0},
		{"wrong type in JSON", call{"json", "sendMessage", map[string]any{"chat_id": id, "text": "hi", "disable_notification": "yes"}, nil},
			400, "disable_notification: want Boolean, got \"yes\"", 0},
		{"wrong type in a form", call{"form", "deleteMessage", map[string]any{"chat_id": id, "message_id": "first"}, nil},
			400, `message_id: want Integer, got first`, 0},
		{"wrong type deep in an object", call{"json", "sendMessage", map[string]any{"chat_id": id, "text": "hi",
			"reply_markup": map[string]any{"inline_keyboard": [][]map[string]any{{{"text": "a", "callback_data": 5}}}}}, nil},
			400, "reply_markup.inline_keyboard[0][0].callback_data: want String, got 5", 0},
		{"unknown field in a form's JSON object", call{"form", "sendMessage", map[string]any{"chat_id": id, "text": "hi",
			"reply_markup": `{"inline_keyboard":[[{"text":"a","callback_data":"x","colour":"red"}]]}`}, nil},
			400, `reply_markup.inline_keyboard[0][0]: unknown field "colour"`, 0},
		{"two button kinds", call{"form", "sendMessage", map[string]any{"chat_id": id, "text": "hi",
			"reply_markup": button(`,"copy_text":{"text":""}`)}, nil},
			400, "reply_markup.inline_keyboard[0][0]: exactly one of url, callback_data, web_app, login_url, switch_inline_query, " +
				"switch_inline_query_current_chat, switch_inline_query_chosen_chat, copy_text, callback_game, pay must be used, got 2 (callback_data, copy_text)", 0},
		{"two button kinds on every button of a row", call{"form", "sendMessage", map[string]any{"chat_id": id, "text": "hi",
			"reply_markup": `{"inline_keyboard":[[{"text":"a","callback_data":"a","copy_text":{"text":""}},` +
				`{"text":"b","callback_data":"b","copy_text":{"text":""}}]]}`}, nil},
			400, "reply_markup.inline_keyboard[0][1]: exactly one of", 2},
		{"two reply button requests", call{"json", "sendMessage", map[string]any{"chat_id": id, "text": "hi",
			"reply_markup": map[string]any{"keyboard": [][]map[string]any{{{"text": "a", "request_contact": true, "request_location": true}}}}}, nil},
			400, "at most one of", 0},
		{"union tag unknown", call{"json", "deleteMyCommands", map[string]any{"scope": map[string]any{"type": "everyone"}}, nil},
			400, `scope.type: a BotCommandScope needs one of "default"`, 0},
		{"union subtype misses a field", call{"json", "deleteMyCommands", map[string]any{"scope": map[string]any{"type": "chat"}}, nil},
			400, `scope: missing required field "chat_id"`, 0},
		{"upload where none is allowed", call{"multipart", "sendMessage", map[string]any{"chat_id": id},
			map[string]string{"text": "x"}}, 400, "text: a file upload where the specification wants String", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var status int
			var r rawResp
			switch tt.call.enc {
			case "json":
				status, r = callJSON(t, s, tt.call.method, tt.call.args)
			case "form":
				form := url.Values{}
				for k, v := range tt.call.args {
					form.Set(k, toString(v))
				}
				status, r = callForm(t, s, tt.call.method, form)
			case "multipart":
				fields := map[string]string{}
				for k, v := range tt.call.args {
					fields[k] = toString(v)
				}
				status, r = callMultipart(t, s, tt.call.method, fields, tt.call.files)
			}
			got := s.TakeViolations()
			if status != tt.wantStatus {
				t.Errorf("status %d (%s), want %d", status, r.Description, tt.wantStatus)
			}
			if tt.wantProb == "" {
				if len(got) > 0 {
					t.Errorf("violations %v, want none", got)
				}
				return
			}
			if want := max(tt.wantN, 1); len(got) != want || got[want-1].Method != tt.call.method || !strings.Contains(got[want-1].Problem, tt.wantProb) {
				t.Errorf("violations %v, want %d, the last with %q", got, want, tt.wantProb)
			}
			if tt.wantStatus == 400 && !strings.Contains(r.Description, tt.wantProb) {
				t.Errorf("description %q lacks %q", r.Description, tt.wantProb)
			}
		})
	}
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	panic("toString: unsupported value")
}
