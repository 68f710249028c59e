package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// StaffGroup is a Telegram group bound with /setup to a set of communes
// (empty: the whole province).
type StaffGroup struct {
	ChatID   int64          `db:"chat_id"`
	Communes pq.StringArray `db:"communes"`
	BoundAt  time.Time      `db:"bound_at"`
}

// Covers reports whether the group takes cases of commune.
func (g StaffGroup) Covers(commune string) bool {
	if len(g.Communes) == 0 {
		return true
	}
	for _, c := range g.Communes {
		if c == commune {
			return true
		}
	}
	return false
}

// BindGroup makes chat a staff group covering communes (none: the
// province), or changes the communes of one already bound.
func (tx *Tx) BindGroup(ctx context.Context, chat int64, communes []string, by int64) error {
	if communes == nil {
		communes = []string{}
	}
	_, err := tx.X.ExecContext(ctx, `
INSERT INTO staff_groups (chat_id, communes, bound_by, bound_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (chat_id) DO UPDATE SET communes = EXCLUDED.communes, bound_by = EXCLUDED.bound_by, bound_at = EXCLUDED.bound_at`,
		chat, pq.Array(communes), optInt(by), tx.db.Now())
	if err != nil {
		return fmt.Errorf("binding group %d: %w", chat, err)
	}
	return nil
}

const groupCols = `chat_id, communes, bound_at`

// StaffGroup reads a bound group; ok is false for any other chat.
func (tx *Tx) StaffGroup(ctx context.Context, chat int64) (StaffGroup, bool, error) {
	return staffGroup(ctx, tx.X, chat)
}

// StaffGroup is Tx.StaffGroup outside a transaction.
func (db *DB) StaffGroup(ctx context.Context, chat int64) (StaffGroup, bool, error) {
	return staffGroup(ctx, db.X, chat)
}

func staffGroup(ctx context.Context, q sqlx.QueryerContext, chat int64) (StaffGroup, bool, error) {
	var g StaffGroup
	err := sqlx.GetContext(ctx, q, &g, `SELECT `+groupCols+` FROM staff_groups WHERE chat_id = $1`, chat)
	if errors.Is(err, sql.ErrNoRows) {
		return g, false, nil
	}
	if err != nil {
		return g, false, fmt.Errorf("reading staff group %d: %w", chat, err)
	}
	return g, true, nil
}

// GroupFor picks the group where a case of commune opens its topic: the
// narrowest group covering it (a group bound to that commune before a
// province-wide one), the latest bound among equals. ok is false when no
// group covers it: the case is then worked from private chats.
func (db *DB) GroupFor(ctx context.Context, commune string) (StaffGroup, bool, error) {
	var g StaffGroup
	err := db.X.GetContext(ctx, &g, `
SELECT `+groupCols+` FROM staff_groups
 WHERE cardinality(communes) = 0 OR $1 = ANY(communes)
 ORDER BY cardinality(communes) = 0, cardinality(communes), bound_at DESC, chat_id
 LIMIT 1`, commune)
	if errors.Is(err, sql.ErrNoRows) {
		return g, false, nil
	}
	if err != nil {
		return g, false, fmt.Errorf("choosing the group of commune %q: %w", commune, err)
	}
	return g, true, nil
}

// UnlearntGroups lists the groups the bot knows no member of (bound before
// it kept members, or whose administrators it could not list yet).
func (db *DB) UnlearntGroups(ctx context.Context) ([]int64, error) {
	var out []int64
	if err := db.X.SelectContext(ctx, &out, `
SELECT chat_id FROM staff_groups g WHERE NOT EXISTS (SELECT 1 FROM group_members m WHERE m.chat_id = g.chat_id) ORDER BY chat_id`); err != nil {
		return nil, fmt.Errorf("listing staff groups without members: %w", err)
	}
	return out, nil
}

// Member statuses besides Telegram's own.
const (
	MemberRemoved = "removed" // the bot took them out of the group
	MemberRefused = "refused" // Telegram refused (owner, or an admin the bot did not promote)
)

// NoteMember records what the bot learnt of an account in a staff group
// (a status of Telegram's, or MemberRemoved/MemberRefused). An empty
// firstName keeps the one known.
func (tx *Tx) NoteMember(ctx context.Context, chat, user int64, firstName, status string) error {
	return noteMember(ctx, tx.X, tx.db.Now(), chat, user, firstName, status)
}

// NoteMember is Tx.NoteMember outside a transaction.
func (db *DB) NoteMember(ctx context.Context, chat, user int64, firstName, status string) error {
	return noteMember(ctx, db.X, db.Now(), chat, user, firstName, status)
}

func noteMember(ctx context.Context, q sqlx.ExecerContext, at time.Time, chat, user int64, firstName, status string) error {
	_, err := q.ExecContext(ctx, `
INSERT INTO group_members (chat_id, telegram_user_id, first_name, status, updated_at)
SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM staff_groups WHERE chat_id = $1)
ON CONFLICT (chat_id, telegram_user_id) DO UPDATE
   SET first_name = COALESCE(NULLIF(EXCLUDED.first_name, ''), group_members.first_name),
       status = EXCLUDED.status, updated_at = EXCLUDED.updated_at`, chat, user, firstName, status, at)
	if err != nil {
		return fmt.Errorf("noting member %d of %d: %w", user, chat, err)
	}
	return nil
}

// NoteSeen records that an account wrote in a staff group: a member, unless
// a status is already known.
func (tx *Tx) NoteSeen(ctx context.Context, chat, user int64, firstName string) error {
	_, err := tx.X.ExecContext(ctx, `
INSERT INTO group_members (chat_id, telegram_user_id, first_name, status, updated_at)
SELECT $1, $2, $3, 'member', $4 WHERE EXISTS (SELECT 1 FROM staff_groups WHERE chat_id = $1)
ON CONFLICT (chat_id, telegram_user_id) DO UPDATE
   SET status = CASE WHEN group_members.status IN ('left', 'kicked', 'removed') THEN 'member' ELSE group_members.status END,
       first_name = EXCLUDED.first_name, updated_at = EXCLUDED.updated_at`, chat, user, firstName, tx.db.Now())
	if err != nil {
		return fmt.Errorf("noting member %d of %d: %w", user, chat, err)
	}
	return nil
}

// Intruder is an account in a staff group that should not be there: not
// active staff handling cases with a scope covering the whole group.
type Intruder struct {
	ChatID    int64  `db:"chat_id"`
	UserID    int64  `db:"telegram_user_id"`
	FirstName string `db:"first_name"`
	Status    string `db:"status"` // as known; '' for a revoked member never seen in the group
}

// A staff member may sit in a group when they handle cases and every case
// the group can show is in their scope: province-wide staff anywhere,
// others in groups whose communes are all theirs.
const mayJoinSQL = `EXISTS (SELECT 1 FROM staff s
   WHERE s.telegram_user_id = %s AND s.active AND s.role IN ('counsellor', 'admin')
     AND (cardinality(s.communes) = 0 OR (cardinality(g.communes) > 0 AND g.communes <@ s.communes)))`

var intrudersSQL = `
SELECT m.chat_id, m.telegram_user_id, m.first_name, m.status
  FROM group_members m JOIN staff_groups g ON g.chat_id = m.chat_id
 WHERE ($1::bigint = 0 OR m.chat_id = $1) AND m.telegram_user_id <> $2::bigint
   AND m.status IN ('creator', 'administrator', 'member', 'restricted')
   AND NOT ` + fmt.Sprintf(mayJoinSQL, "m.telegram_user_id") + `
UNION ALL
SELECT g.chat_id, r.telegram_user_id, r.display_name, ''
  FROM staff r CROSS JOIN staff_groups g
 WHERE ($1::bigint = 0 OR g.chat_id = $1) AND NOT r.active AND r.telegram_user_id IS NOT NULL AND r.revoked_at IS NOT NULL
   AND NOT ` + fmt.Sprintf(mayJoinSQL, "r.telegram_user_id") + `
   AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.chat_id = g.chat_id AND m.telegram_user_id = r.telegram_user_id
                     AND (m.status IN ('creator', 'administrator', 'member', 'restricted') OR m.updated_at >= r.revoked_at))
 ORDER BY 1, 2`

// Intruders lists who must leave a staff group (chat 0: every group): the
// members known to the bot who may not sit there, and revoked staff not
// yet taken out of a group since their revocation (they may have joined
// before the bot could see it). bot is the bot's own account.
func (db *DB) Intruders(ctx context.Context, chat, bot int64) ([]Intruder, error) {
	var out []Intruder
	if err := db.X.SelectContext(ctx, &out, intrudersSQL, chat, bot); err != nil {
		return nil, fmt.Errorf("listing who must leave the staff groups: %w", err)
	}
	return out, nil
}

// RecordPost keeps the id of a message the bot posted about a case outside
// its topic, so that an erasure can delete it. A message that went out
// while its person was being erased is deleted straight away.
func (db *DB) RecordPost(ctx context.Context, caseID, chat int64, msg int) error {
	return recordPost(ctx, db.X, db.Now(), caseID, chat, msg)
}

// RecordPost is DB.RecordPost inside a transaction (one holding the case's
// row would wait for itself otherwise).
func (tx *Tx) RecordPost(ctx context.Context, caseID, chat int64, msg int) error {
	return recordPost(ctx, tx.X, tx.db.Now(), caseID, chat, msg)
}

func recordPost(ctx context.Context, q sqlx.ExecerContext, at time.Time, caseID, chat int64, msg int) error {
	_, err := q.ExecContext(ctx, `
WITH live AS (SELECT c.id FROM cases c JOIN people p ON p.id = c.person_id WHERE c.id = $1 AND p.erased_at IS NULL)
INSERT INTO case_posts (case_id, chat_id, message_id, posted_at, erase_at)
SELECT id, $2::bigint, $3::integer, $4::timestamptz, NULL::timestamptz FROM live
UNION ALL
SELECT NULL, $2, $3, $4, $4 WHERE NOT EXISTS (SELECT 1 FROM live)`,
		caseID, chat, msg, at)
	if err != nil {
		return fmt.Errorf("recording post %d in %d: %w", msg, chat, err)
	}
	return nil
}

// CasePost is a message the bot posted about a case, to delete.
type CasePost struct {
	ID      int64 `db:"id"`
	ChatID  int64 `db:"chat_id"`
	Message int   `db:"message_id"`
}

// PostsToErase lists the messages erasures left to delete, oldest first.
func (db *DB) PostsToErase(ctx context.Context, limit int) ([]CasePost, error) {
	var out []CasePost
	if err := db.X.SelectContext(ctx, &out, `SELECT id, chat_id, message_id FROM case_posts WHERE erase_at IS NOT NULL ORDER BY id LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("listing posts to erase: %w", err)
	}
	return out, nil
}

// PostErased forgets a message once deleted (or found gone).
func (db *DB) PostErased(ctx context.Context, id int64) error {
	if _, err := db.X.ExecContext(ctx, `DELETE FROM case_posts WHERE id = $1`, id); err != nil {
		return fmt.Errorf("forgetting post %d: %w", id, err)
	}
	return nil
}

// erasePosts sets a person's case posts aside for deletion, unlinked from
// the cases.
func (tx *Tx) erasePosts(ctx context.Context, cases []int64, at time.Time) error {
	if _, err := tx.X.ExecContext(ctx, `UPDATE case_posts SET case_id = NULL, erase_at = $2 WHERE case_id = ANY($1)`, pq.Array(cases), at); err != nil {
		return fmt.Errorf("setting aside the posts of cases %v: %w", cases, err)
	}
	return nil
}

// lockPlanning keeps reminder planning and erasures apart (each waits for
// the other to commit), so that planning reads every case as it stands.
func lockPlanning(ctx context.Context, tx *Tx) error {
	if _, err := tx.X.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('reminders and erasure', 0))`); err != nil {
		return fmt.Errorf("waiting for reminder planning or an erasure: %w", err)
	}
	return nil
}

// renumber renumbers cases (see renumberCases) and returns closed, a
// subset, under the new numbers too.
func (tx *Tx) renumber(ctx context.Context, cases, closed []int64) ([]int64, []int64, error) {
	news, err := tx.renumberCases(ctx, cases)
	if err != nil {
		return nil, nil, err
	}
	m := make(map[int64]int64, len(cases))
	for i, id := range cases {
		m[id] = news[i]
	}
	out := make([]int64, len(closed))
	for i, id := range closed {
		out[i] = m[id]
	}
	return news, out, nil
}

// renumberCases gives erased cases new numbers (the rows that point at a
// case follow: ON UPDATE CASCADE, and the reminders by hand), so that a
// number once shown in Telegram matches nothing. It returns the new ids in
// the order of ids.
func (tx *Tx) renumberCases(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var pairs []struct {
		Old int64 `db:"old"`
		New int64 `db:"new"`
	}
	if err := tx.X.SelectContext(ctx, &pairs, `
SELECT id AS old, nextval(pg_get_serial_sequence('cases', 'id')) AS new FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, n) ORDER BY n`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("numbering erased cases: %w", err)
	}
	olds, news := make([]int64, len(pairs)), make([]int64, len(pairs))
	for i, p := range pairs {
		olds[i], news[i] = p.Old, p.New
	}
	if _, err := tx.X.ExecContext(ctx, `
UPDATE cases c SET id = m.new FROM unnest($1::bigint[], $2::bigint[]) AS m(old, new) WHERE c.id = m.old`, pq.Array(olds), pq.Array(news)); err != nil {
		return nil, fmt.Errorf("renumbering erased cases: %w", err)
	}
	if _, err := tx.X.ExecContext(ctx, `
UPDATE reminders r SET ref_id = m.new FROM unnest($1::bigint[], $2::bigint[]) AS m(old, new)
 WHERE r.kind IN ('course_start', 'followup_30', 'followup_90') AND r.ref_id = m.old`, pq.Array(olds), pq.Array(news)); err != nil {
		return nil, fmt.Errorf("renumbering the reminders of erased cases: %w", err)
	}
	return news, nil
}

// ChatErasure is a range of message ids of a person's own chat still to
// delete after their erasure (chat_erasures).
type ChatErasure struct {
	ID     int64 `db:"id"`
	ChatID int64 `db:"chat_id"`
	From   int   `db:"from_id"`
	To     int   `db:"to_id"`
}

// PlanChatErasure records that the messages from..to of chat are to be
// deleted, in the transaction that erased the person.
func (tx *Tx) PlanChatErasure(ctx context.Context, chat int64, from, to int) error {
	if to < from {
		return nil
	}
	if _, err := tx.X.ExecContext(ctx, `INSERT INTO chat_erasures (chat_id, from_id, to_id, created_at) VALUES ($1, $2, $3, $4)`,
		chat, from, to, tx.db.Now()); err != nil {
		return fmt.Errorf("planning the erasure of chat %d: %w", chat, err)
	}
	return nil
}

// ChatErasures lists the ranges still to delete, oldest first.
func (db *DB) ChatErasures(ctx context.Context, limit int) ([]ChatErasure, error) {
	var out []ChatErasure
	if err := db.X.SelectContext(ctx, &out, `SELECT id, chat_id, from_id, to_id FROM chat_erasures ORDER BY id LIMIT $1`, limit); err != nil {
		return nil, fmt.Errorf("listing chat erasures: %w", err)
	}
	return out, nil
}

// ChatErasedDownTo records that the range's ids above to are deleted; the
// row goes once nothing is left.
func (db *DB) ChatErasedDownTo(ctx context.Context, id int64, to int) error {
	q := `UPDATE chat_erasures SET to_id = $2 WHERE id = $1`
	if _, err := db.X.ExecContext(ctx, `DELETE FROM chat_erasures WHERE id = $1 AND from_id > $2`, id, to); err != nil {
		return fmt.Errorf("finishing chat erasure %d: %w", id, err)
	}
	if _, err := db.X.ExecContext(ctx, q, id, to); err != nil {
		return fmt.Errorf("advancing chat erasure %d: %w", id, err)
	}
	return nil
}
