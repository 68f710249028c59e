package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Conversation is the persisted state of one person's conversation: the
// flow, the state name and the answers. Machines are rebuilt from it on
// every input and never kept in memory between inputs.
type Conversation struct {
	PersonID  int64           `db:"person_id"`
	Flow      string          `db:"flow"`
	State     string          `db:"state"`
	Data      json.RawMessage `db:"data"`
	Version   int64           `db:"version"`
	UpdatedAt time.Time       `db:"updated_at"`
}

// Store is what the flows need from storage, bound to the transaction in
// which the input is handled.
type Store interface {
	// Conversation returns the person's conversation, a zero one (with
	// PersonID set) when there is none.
	Conversation(ctx context.Context, personID int64) (Conversation, error)
	// SaveConversation writes c and bumps its version.
	SaveConversation(ctx context.Context, c *Conversation) error
	// SetLanguage stores the person's language.
	SetLanguage(ctx context.Context, personID int64, lang string) error
}

// Engine runs inputs through the flows.
type Engine struct {
	now func() time.Time
}

// NewEngine returns an engine; now is the clock (time.Now when nil).
func NewEngine(now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{now: now}
}

// Handle runs one input of person p. The caller commits st's transaction
// and only then delivers the replies.
func (e *Engine) Handle(ctx context.Context, st Store, p Person, in Input) (Outcome, error) {
	c, err := st.Conversation(ctx, p.ID)
	if err != nil {
		return Outcome{}, fmt.Errorf("loading conversation: %w", err)
	}
	out := Outcome{Version: c.Version}
	switch {
	case in.Kind == InCommand && in.Command == "start":
		out.Replies = []Reply{{Key: "start_greeting", Params: map[string]any{"Name": p.Name}}}
	case in.Kind == InCommand && in.Command == "help":
		out.Replies = []Reply{{Key: "help_text"}}
	case in.Kind == InCommand:
		out.Replies = []Reply{{Key: "unknown_command"}}
	default:
		out.Replies = []Reply{{Key: "help_text"}}
	}
	if err := st.SaveConversation(ctx, &c); err != nil {
		return Outcome{}, fmt.Errorf("saving conversation: %w", err)
	}
	out.Version = c.Version
	return out, nil
}
