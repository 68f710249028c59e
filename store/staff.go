package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Role is what a staff member may do.
type Role string

const (
	RoleAdmin      Role = "admin"
	RoleCounsellor Role = "counsellor"
	RoleOfficer    Role = "officer"
)

// Staff is a member of staff. An empty Communes list means province-wide
// (never for officers, who always have communes).
type Staff struct {
	ID             int64          `db:"id"`
	TelegramUserID sql.NullInt64  `db:"telegram_user_id"`
	Role           Role           `db:"role"`
	Communes       pq.StringArray `db:"communes"`
	DisplayName    string         `db:"display_name"`
	Active         bool           `db:"active"`
	CreatedAt      time.Time      `db:"created_at"`
	RevokedAt      sql.NullTime   `db:"revoked_at"`
	PrivateCaseID  sql.NullInt64  `db:"private_case_id"`
}

// HandlesCases reports whether the role takes and answers cases.
func (s Staff) HandlesCases() bool { return s.Role == RoleCounsellor || s.Role == RoleAdmin }

// InScope reports whether a case of commune is within the staff member's
// area.
func (s Staff) InScope(commune string) bool {
	if len(s.Communes) == 0 {
		return s.Role != RoleOfficer
	}
	return slices.Contains(s.Communes, commune)
}

const staffCols = `id, telegram_user_id, role, communes, display_name, active, created_at, revoked_at, private_case_id`

// ErrInviteInvalid covers unknown, used, expired and revoked invite codes
// alike: the person redeeming it learns nothing more.
var ErrInviteInvalid = errors.New("invite code invalid, used or expired")

// CreateInvite adds a staff record without an account and a one-time code
// (stored hashed) that binds one.
func (db *DB) CreateInvite(ctx context.Context, role Role, communes []string, name string, codeHash []byte, expires time.Time) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *Tx) (err error) {
		id, err = tx.AddInvite(ctx, role, communes, name, codeHash, expires)
		return err
	})
	return id, err
}

const redeemSQL = `
UPDATE staff_invites i SET used_at = $2, used_by = $3
  FROM staff s
 WHERE i.code_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2
   AND s.id = i.staff_id AND s.active
RETURNING i.staff_id`

// RedeemInvite binds telegramUserID to the invited staff record, once.
func (tx *Tx) RedeemInvite(ctx context.Context, codeHash []byte, telegramUserID int64, now time.Time) (Staff, error) {
	var id int64
	if err := tx.X.GetContext(ctx, &id, redeemSQL, codeHash, now, telegramUserID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Staff{}, ErrInviteInvalid
		}
		return Staff{}, fmt.Errorf("redeeming invite: %w", err)
	}
	// An account belongs to one staff record: an older binding is released.
	if _, err := tx.X.ExecContext(ctx, `UPDATE staff SET telegram_user_id = NULL WHERE telegram_user_id = $1 AND id <> $2`, telegramUserID, id); err != nil {
		return Staff{}, fmt.Errorf("releasing old binding: %w", err)
	}
	var s Staff
	if err := tx.X.GetContext(ctx, &s, `UPDATE staff SET telegram_user_id = $2 WHERE id = $1 RETURNING `+staffCols, id, telegramUserID); err != nil {
		return Staff{}, fmt.Errorf("binding staff %d: %w", id, err)
	}
	return s, nil
}

// StaffByTelegram returns the active staff member using that account.
func (tx *Tx) StaffByTelegram(ctx context.Context, telegramUserID int64) (Staff, bool, error) {
	return staffByTelegram(ctx, tx.X, telegramUserID)
}

// StaffByTelegram is Tx.StaffByTelegram outside a transaction.
func (db *DB) StaffByTelegram(ctx context.Context, telegramUserID int64) (Staff, bool, error) {
	// Asked before many private updates (the rest check staff inside
	// their first statement): a prepared statement.
	var s Staff
	err := db.getHot(ctx, &s, staffByTelegramSQL, telegramUserID)
	return staffFound(s, err, telegramUserID)
}

var staffByTelegramSQL = `SELECT ` + staffCols + ` FROM staff WHERE telegram_user_id = $1 AND active`

func staffByTelegram(ctx context.Context, q sqlx.QueryerContext, id int64) (Staff, bool, error) {
	var s Staff
	err := sqlx.GetContext(ctx, q, &s, staffByTelegramSQL, id)
	return staffFound(s, err, id)
}

// staffFound turns a lookup's error into found / not staff / failed.
func staffFound(s Staff, err error, telegramUserID int64) (Staff, bool, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("reading staff %d: %w", telegramUserID, err)
	}
	return s, true, nil
}

// StaffByID reads one staff member, active or not.
func (tx *Tx) StaffByID(ctx context.Context, id int64) (Staff, error) {
	var s Staff
	if err := tx.X.GetContext(ctx, &s, `SELECT `+staffCols+` FROM staff WHERE id = $1`, id); err != nil {
		return s, fmt.Errorf("reading staff %d: %w", id, notFound(err))
	}
	return s, nil
}

// StaffListing is a staff row with its invitation's state.
type StaffListing struct {
	Staff
	InviteExpires sql.NullTime `db:"invite_expires"`
	InviteUsed    sql.NullTime `db:"invite_used"`
}

// ListStaff lists every staff record, newest first.
func (db *DB) ListStaff(ctx context.Context) ([]StaffListing, error) {
	var out []StaffListing
	err := db.X.SelectContext(ctx, &out, `
SELECT s.id, s.telegram_user_id, s.role, s.communes, s.display_name, s.active, s.created_at, s.revoked_at, s.private_case_id,
       i.expires_at AS invite_expires, i.used_at AS invite_used
  FROM staff s
  LEFT JOIN LATERAL (SELECT expires_at, used_at FROM staff_invites WHERE staff_id = s.id ORDER BY id DESC LIMIT 1) i ON true
 ORDER BY s.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("listing staff: %w", err)
	}
	return out, nil
}

// RevokeStaff ends a staff member's access, voids unused invites, ends
// their desk sessions and puts the open cases they had taken back in the
// queue, in one transaction.
func (db *DB) RevokeStaff(ctx context.Context, id int64) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.RevokeStaff(ctx, id)
		return err
	})
}

// RevokeStaff is DB.RevokeStaff inside a transaction (a Telegram admin's
// /revoke runs in their update's); released is how many open cases went
// back to the queue.
func (tx *Tx) RevokeStaff(ctx context.Context, id int64) (released int, err error) {
	res, err := tx.X.ExecContext(ctx, `UPDATE staff SET active = false, revoked_at = $2, private_case_id = NULL WHERE id = $1 AND active`, id, tx.db.Now())
	if err != nil {
		return 0, fmt.Errorf("revoking staff %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, fmt.Errorf("staff %d: %w (or already revoked)", id, ErrNotFound)
	}
	if _, err := tx.X.ExecContext(ctx, `UPDATE staff_invites SET expires_at = $2 WHERE staff_id = $1 AND used_at IS NULL`, id, tx.db.Now()); err != nil {
		return 0, fmt.Errorf("voiding invites of %d: %w", id, err)
	}
	if released, err = tx.releaseCases(ctx, id); err != nil {
		return 0, err
	}
	return released, tx.EndDeskSessions(ctx, id) // signed out of the web desk at once
}

// releaseCases puts the open cases a departing member had taken back in
// the queue: a counsellor who leaves with thirty open cases must not leave
// thirty people waiting on nobody while the queue shows them taken. Each
// case gets a "released" event for its topic (relayed like a notice, and
// the card shows it waiting again) and for the web desk's history.
func (tx *Tx) releaseCases(ctx context.Context, staffID int64) (int, error) {
	var ids []int64
	if err := tx.X.SelectContext(ctx, &ids, `
UPDATE cases SET status = 'new', assignee_staff_id = NULL, updated_at = $2
 WHERE assignee_staff_id = $1 AND status <> 'closed'
RETURNING id`, staffID, tx.db.Now()); err != nil {
		return 0, fmt.Errorf("releasing the cases of %d: %w", staffID, err)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if _, err := tx.AddCaseEvent(ctx, NewEvent{CaseID: id, Actor: "system", Kind: "released", Body: "topic_assignee_left", RelayTo: RelayTopic}); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// SetPrivateCase sets (or clears, with 0) the case a counsellor answers
// from their private chat.
func (tx *Tx) SetPrivateCase(ctx context.Context, staffID, caseID int64) error {
	v := sql.NullInt64{Int64: caseID, Valid: caseID != 0}
	if _, err := tx.X.ExecContext(ctx, `UPDATE staff SET private_case_id = $2 WHERE id = $1`, staffID, v); err != nil {
		return fmt.Errorf("setting private case of %d: %w", staffID, err)
	}
	return nil
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID             int64          `db:"id"`
	At             time.Time      `db:"at"`
	StaffID        sql.NullInt64  `db:"staff_id"`
	TelegramUserID sql.NullInt64  `db:"telegram_user_id"`
	Action         string         `db:"action"`
	CaseID         sql.NullInt64  `db:"case_id"`
	Detail         string         `db:"detail"`
	StaffName      sql.NullString `db:"staff_name"`
}

// Audit records a staff action (staffID 0 for a refused non-staff
// attempt, with the Telegram account).
func (tx *Tx) Audit(ctx context.Context, staffID, telegramUserID int64, action string, caseID int64, detail string) error {
	return audit(ctx, tx.X, tx.db.Now(), staffID, telegramUserID, action, caseID, detail)
}

// Audit is Tx.Audit outside a transaction.
func (db *DB) Audit(ctx context.Context, staffID, telegramUserID int64, action string, caseID int64, detail string) error {
	return audit(ctx, db.X, db.Now(), staffID, telegramUserID, action, caseID, detail)
}

func audit(ctx context.Context, q sqlx.ExecerContext, at time.Time, staffID, tgID int64, action string, caseID int64, detail string) error {
	_, err := q.ExecContext(ctx,
		`INSERT INTO audit_log (staff_id, telegram_user_id, action, case_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		optInt(staffID), optInt(tgID), action, optInt(caseID), detail, at)
	if err != nil {
		return fmt.Errorf("writing audit %s: %w", action, err)
	}
	return nil
}

// AuditFilter selects audit lines; zero fields match everything.
type AuditFilter struct {
	CaseID  int64
	StaffID int64
	Day     time.Time // a day in loc
	Loc     *time.Location
}

// AuditLog lists audit lines in time order.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	from, to := f.dayRange() // desk_admin.go
	var out []AuditEntry
	err := db.X.SelectContext(ctx, &out, `
SELECT a.id, a.at, a.staff_id, a.telegram_user_id, a.action, a.case_id, a.detail, s.display_name AS staff_name
  FROM audit_log a LEFT JOIN staff s ON s.id = a.staff_id
 WHERE ($1 = 0 OR a.case_id = $1) AND ($2 = 0 OR a.staff_id = $2)
   AND ($3::timestamptz IS NULL OR (a.at >= $3 AND a.at < $4))
 ORDER BY a.at, a.id`, f.CaseID, f.StaffID, from, to)
	if err != nil {
		return nil, fmt.Errorf("reading audit log: %w", err)
	}
	return out, nil
}

// Setting reads a workspace setting ("" when unset).
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.X.GetContext(ctx, &v, `SELECT value FROM settings WHERE key = $1`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting writes a workspace setting.
func (tx *Tx) SetSetting(ctx context.Context, key, value string) error {
	_, err := tx.X.ExecContext(ctx, `
INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`, key, value, tx.db.Now())
	if err != nil {
		return fmt.Errorf("writing setting %s: %w", key, err)
	}
	return nil
}

// ClearPrivateCase stops every counsellor answering the case from their
// private chat (it was closed).
func (tx *Tx) ClearPrivateCase(ctx context.Context, caseID int64) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE staff SET private_case_id = NULL WHERE private_case_id = $1`, caseID); err != nil {
		return fmt.Errorf("clearing private case %d: %w", caseID, err)
	}
	return nil
}
