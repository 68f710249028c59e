package flows_test

import (
	"context"
	"encoding/json"
	"flag"
	"reflect"
	"sync"
	"testing"

	"reentrybot/flows"
	"reentrybot/i18n"
	"reentrybot/store"
)

// privacySeen collects the states /privacy was tried in across the
// transcripts.
var privacySeen sync.Map

// checkPrivacy sends /privacy in the scenario's current state (issue 16:
// it works in every state of every flow): the notice comes first, then the
// same question; the flow, the state and the answers so far are untouched.
// Since the transcript goes on from there and its goldens still match,
// /privacy changes nothing the person does next.
func (f *fixture) checkPrivacy(t *testing.T, n int, cat *i18n.Catalog) {
	t.Helper()
	before := f.conversation(t)
	got := f.step(t, n, "/privacy", cat)
	after := f.conversation(t)
	where := before.Flow + "/" + before.State
	if before.Flow == "" {
		where = "first contact"
	}
	privacySeen.Store(where, true)
	if len(got.Replies) == 0 || got.Replies[0].Key != "privacy_notice" {
		t.Fatalf("step %d: /privacy in %s answered %+v", n, where, got.Replies)
	}
	if before.Flow != "" && (after.Flow != before.Flow || after.State != before.State || !reflect.DeepEqual(answers(t, before), answers(t, after))) {
		t.Fatalf("step %d: /privacy in %s moved to %s/%s or changed the answers:\n%s\n%s", n, where, after.Flow, after.State, before.Data, after.Data)
	}
}

func (f *fixture) conversation(t *testing.T) flows.Conversation {
	t.Helper()
	ctx := context.Background()
	var c flows.Conversation
	if err := f.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.Conversation(ctx, f.person)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

// answers is the conversation's data without the idle clock.
func answers(t *testing.T, c flows.Conversation) map[string]any {
	t.Helper()
	m := map[string]any{}
	if len(c.Data) > 0 {
		if err := json.Unmarshal(c.Data, &m); err != nil {
			t.Fatal(err)
		}
	}
	delete(m, "touched")
	return m
}

// checkPrivacyEverywhere fails when the transcripts left a state of a flow
// where /privacy was never tried; it needs every transcript to have run.
func checkPrivacyEverywhere(t *testing.T) {
	if run := flag.Lookup("test.run").Value.String(); run != "" && run != "TestTranscripts" && run != "^TestTranscripts$" {
		return
	}
	t.Logf("/privacy tried in %d flow states", len(flows.FlowStates()))
	var missing []string
	for _, s := range flows.FlowStates() {
		if _, ok := privacySeen.Load(s); !ok {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		t.Errorf("/privacy was never tried in %v: add a transcript step that reaches them", missing)
	}
}
