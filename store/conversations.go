package store

import (
	"context"
	"fmt"

	"reentrybot/flows"
)

const conversationSQL = `
SELECT person_id, flow, state, data, version, updated_at
  FROM conversations WHERE person_id = $1`

// Conversation reads the person's conversation; none yet gives a zero one.
func (tx *Tx) Conversation(ctx context.Context, personID int64) (flows.Conversation, error) {
	var c flows.Conversation
	err := tx.X.GetContext(ctx, &c, conversationSQL, personID)
	if notFound(err) == ErrNotFound {
		return flows.Conversation{PersonID: personID, Data: []byte("{}")}, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading conversation of %d: %w", personID, err)
	}
	return c, nil
}

const saveConversationSQL = `
INSERT INTO conversations (person_id, flow, state, data, version, updated_at)
VALUES ($1, $2, $3, $4, 1, now())
ON CONFLICT (person_id) DO UPDATE
   SET flow = EXCLUDED.flow, state = EXCLUDED.state, data = EXCLUDED.data,
       version = conversations.version + 1, updated_at = now()
RETURNING version, updated_at`

// SaveConversation writes c and bumps its version.
func (tx *Tx) SaveConversation(ctx context.Context, c *flows.Conversation) error {
	data := c.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	row := tx.X.QueryRowxContext(ctx, saveConversationSQL, c.PersonID, c.Flow, c.State, []byte(data))
	if err := row.Scan(&c.Version, &c.UpdatedAt); err != nil {
		return fmt.Errorf("saving conversation of %d: %w", c.PersonID, err)
	}
	return nil
}
