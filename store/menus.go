package store

import (
	"context"
	"fmt"
)

// SetStaffMenu records that chat's command menu shows the staff member's
// commands (0: no menu any more).
func (db *DB) SetStaffMenu(ctx context.Context, staffID, chat int64) error {
	if _, err := db.X.ExecContext(ctx, `UPDATE staff SET menu_chat_id = NULLIF($2, 0) WHERE id = $1`, staffID, chat); err != nil {
		return fmt.Errorf("recording the menu of staff %d: %w", staffID, err)
	}
	return nil
}

// StaleMenu is a revoked staff member whose chat still shows staff commands.
type StaleMenu struct {
	StaffID int64 `db:"id"`
	Chat    int64 `db:"menu_chat_id"`
}

// StaleStaffMenus lists revoked staff whose command menu is still set.
func (db *DB) StaleStaffMenus(ctx context.Context) ([]StaleMenu, error) {
	var out []StaleMenu
	if err := db.X.SelectContext(ctx, &out, `SELECT id, menu_chat_id FROM staff WHERE NOT active AND menu_chat_id IS NOT NULL ORDER BY id`); err != nil {
		return nil, fmt.Errorf("listing stale staff menus: %w", err)
	}
	return out, nil
}
