package flows_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// /mydata attaches everything stored about the person, as JSON, to the
// My data view; its caption renders in both languages.
func TestMyDataFile(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, &scenario{Given: []string{"consented", "profile"}})
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := flows.NewEngine(func() time.Time { return f.clock }, flows.WithCatalog(cat))
	var out flows.Outcome
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		out, err = eng.Handle(ctx, tx, flows.Person{ID: f.person, Lang: "vi"}, flows.Input{Kind: flows.InCommand, Command: "mydata"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Replies) != 1 || out.Replies[0].Key != "mydata_view" || out.Replies[0].File == nil {
		t.Fatalf("replies %+v", out.Replies)
	}
	file := out.Replies[0].File
	if file.MIME != "application/json" || file.Name != "du-lieu-cua-toi-2026-11-16.json" {
		t.Errorf("file %s (%s)", file.Name, file.MIME)
	}
	var doc struct {
		Person struct {
			Profile map[string]any `json:"profile"`
		} `json:"person"`
		Consents []any `json:"consents"`
	}
	if err := json.Unmarshal(file.Data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Person.Profile["full_name"] != "Nguyễn Văn An" || len(doc.Consents) != len(flows.Purposes) {
		t.Errorf("export %s", file.Data)
	}
	for _, lang := range cat.Langs() {
		if _, err := cat.Render(lang, file.Caption, file.CaptionParams); err != nil {
			t.Error(err)
		}
	}
	// The menu button shows the view without a file.
	err = f.db.InTx(ctx, func(tx *store.Tx) error {
		out, err = eng.Handle(ctx, tx, flows.Person{ID: f.person, Lang: "vi"}, flows.Input{Kind: flows.InChoice, Choice: "menu", Version: out.Version})
		if err != nil {
			return err
		}
		out, err = eng.Handle(ctx, tx, flows.Person{ID: f.person, Lang: "vi"}, flows.Input{Kind: flows.InChoice, Choice: "m:mydata", Version: out.Version})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Replies) != 1 || out.Replies[0].Key != "mydata_view" || out.Replies[0].File != nil {
		t.Errorf("menu button: %+v", out.Replies)
	}
}
