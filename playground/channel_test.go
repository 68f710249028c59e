package playground

import (
	"strings"
	"testing"
)

// TestTelegramReturnees checks the Telegram channel against the Returnees
// contract the page relies on.
func TestTelegramReturnees(t *testing.T) {
	s := newServer(t, unlimited)
	var r Returnees = telegram{s}
	lan := r.NewPerson("Lan", "vi")
	if got, ok := r.Person(lan.ID); !ok || got.FirstName != "Lan" || got.Lang != "vi" || got.Blocked {
		t.Fatalf("Person = %+v, %v", got, ok)
	}
	group := s.NewGroup("Tổ tư vấn", true)
	if _, ok := r.Person(group.ID); ok {
		t.Fatal("a group is not a person")
	}
	minh := r.NewPerson("Minh", "en")
	if people := r.People(); len(people) != 2 || people[0].ID != lan.ID || people[1].ID != minh.ID {
		t.Fatalf("People = %+v, want Lan then Minh", people)
	}

	tests := []struct {
		name    string
		act     func() (int64, error)
		wantErr string
		kind    string // of the message the person sent
	}{
		{"text", func() (int64, error) { return r.SendText(lan.ID, "xin chào") }, "", "text"},
		{"contact", func() (int64, error) { return r.ShareContact(lan.ID, "0912345678") }, "", "contact"},
		{"photo", func() (int64, error) { return r.SendMedia(lan.ID, Media{Kind: "photo", Caption: "CV"}) }, "", "photo"},
		{"document", func() (int64, error) { return r.SendMedia(lan.ID, Media{Kind: "document", FileName: "cv.pdf"}) }, "", "document"},
		{"location", func() (int64, error) {
			return r.SendMedia(lan.ID, Media{Kind: "location", Latitude: 21, Longitude: 106})
		}, "", "location"},
		{"unknown media", func() (int64, error) { return r.SendMedia(lan.ID, Media{Kind: "video"}) }, `media kind "video"`, ""},
		{"unknown person", func() (int64, error) { return r.SendText(42, "hi") }, "unknown user_id 42", ""},
		{"press without the message", func() (int64, error) { return r.Press(lan.ID, 999, "x") }, "has no message 999", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.History(lan.ID))
			id, err := tt.act()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || id == 0 {
				t.Fatalf("update %d, err %v", id, err)
			}
			h := s.History(lan.ID)
			if len(h) != before+1 || h[len(h)-1].Kind != tt.kind || h[len(h)-1].FromBot {
				t.Fatalf("history %+v, want one more %s from Lan", h, tt.kind)
			}
		})
	}

	if err := r.SetBlocked(minh.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.Person(minh.ID); !got.Blocked {
		t.Fatal("Minh blocked the bot but is not shown so")
	}
	if err := r.SetBlocked(42, true); err == nil {
		t.Fatal("blocking for an unknown person succeeded")
	}
}
