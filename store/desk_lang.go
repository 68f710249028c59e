package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// DeskLanguage is the language a member picked on the desk ("" for none,
// or for no desk account).
func (db *DB) DeskLanguage(ctx context.Context, staffID int64) (string, error) {
	var l string
	err := db.X.GetContext(ctx, &l, `SELECT COALESCE(language, '') FROM desk_accounts WHERE staff_id = $1`, staffID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the desk language of %d: %w", staffID, err)
	}
	return l, nil
}
