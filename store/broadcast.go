package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"
)

// BroadcastStatus is where an announcement stands.
type BroadcastStatus string

const (
	BroadcastDraft     BroadcastStatus = "draft" // being composed; Step says what comes next
	BroadcastPending   BroadcastStatus = "pending_approval"
	BroadcastScheduled BroadcastStatus = "scheduled"
	BroadcastRunning   BroadcastStatus = "running"
	BroadcastDone      BroadcastStatus = "done"
	BroadcastCancelled BroadcastStatus = "cancelled"
)

// DeliveryStatus is where one recipient's copy stands.
type DeliveryStatus string

const (
	DeliveryPending     DeliveryStatus = "pending"
	DeliverySending     DeliveryStatus = "sending"
	DeliverySent        DeliveryStatus = "sent"
	DeliveryUnreachable DeliveryStatus = "unreachable"
	DeliveryFailed      DeliveryStatus = "failed"
)

// Interests narrow an audience to people who ever had a case of that kind;
// "all" is everyone.
var Interests = []string{"all", "job", "course", "loan"}

// Broadcast is an announcement and, while a draft, its composer state.
type Broadcast struct {
	ID            int64           `db:"id"`
	AuthorStaffID int64           `db:"author_staff_id"`
	AuthorChatID  int64           `db:"author_chat_id"`
	AuthorLang    string          `db:"author_lang"`
	AuthorName    string          `db:"author_name"`
	Status        BroadcastStatus `db:"status"`
	Step          string          `db:"step"`
	Body          string          `db:"body"`
	MediaKind     sql.NullString  `db:"media_kind"`
	MediaFileID   sql.NullString  `db:"media_file_id"`
	ProvinceWide  bool            `db:"province_wide"`
	Communes      pq.StringArray  `db:"communes"`
	Interest      string          `db:"interest"`
	ScheduledAt   sql.NullTime    `db:"scheduled_at"`
	Estimate      int             `db:"estimate"`
	Total         int             `db:"total"`
	ApprovedBy    sql.NullInt64   `db:"approved_by"`
	CancelledBy   sql.NullInt64   `db:"cancelled_by"`
	CancelReason  sql.NullString  `db:"cancel_reason"`
	CreatedAt     time.Time       `db:"created_at"`
	UpdatedAt     time.Time       `db:"updated_at"`
	ConfirmedAt   sql.NullTime    `db:"confirmed_at"`
	StartedAt     sql.NullTime    `db:"started_at"`
	FinishedAt    sql.NullTime    `db:"finished_at"`
	StatusChatID  sql.NullInt64   `db:"status_chat_id"`
	StatusMsgID   sql.NullInt64   `db:"status_msg_id"`
	StatusText    sql.NullString  `db:"status_text"`
	SummarySentAt sql.NullTime    `db:"summary_sent_at"`
}

// Audience is who a broadcast reaches.
type Audience struct {
	ProvinceWide bool
	Communes     []string
	Interest     string
}

// Audience returns the broadcast's audience.
func (b Broadcast) Audience() Audience {
	return Audience{ProvinceWide: b.ProvinceWide, Communes: b.Communes, Interest: b.Interest}
}

// Final reports a broadcast that will send nothing more.
func (b Broadcast) Final() bool { return b.Status == BroadcastDone || b.Status == BroadcastCancelled }

const broadcastSelect = `
SELECT b.id, b.author_staff_id, b.author_chat_id, b.author_lang, s.display_name AS author_name, b.status, b.step,
       b.body, b.media_kind, b.media_file_id, b.province_wide, b.communes, b.interest, b.scheduled_at,
       b.estimate, b.total, b.approved_by, b.cancelled_by, b.cancel_reason, b.created_at, b.updated_at,
       b.confirmed_at, b.started_at, b.finished_at, b.status_chat_id, b.status_msg_id, b.status_text, b.summary_sent_at
  FROM broadcasts b JOIN staff s ON s.id = b.author_staff_id`

// The audience: reachable, not opted out, latest announcements consent a
// grant, in the communes (or anywhere), and with a case of the interest.
// $1 province-wide, $2 communes, $3 interest.
const audienceFrom = `
  FROM people p
 WHERE p.reachable AND NOT p.announcements_off
   AND ($1::boolean OR p.commune_code = ANY($2::text[]))
   AND (SELECT c.granted FROM consents c
         WHERE c.person_id = p.id AND c.purpose = 'announcements'
         ORDER BY c.decided_at DESC, c.id DESC LIMIT 1)
   AND ($3::text = 'all' OR EXISTS (SELECT 1 FROM cases k WHERE k.person_id = p.id AND k.kind = $3::text))`

func audienceArgs(a Audience) []any {
	communes := a.Communes
	if communes == nil {
		communes = []string{}
	}
	interest := a.Interest
	if interest == "" {
		interest = "all"
	}
	return []any{a.ProvinceWide, pq.Array(communes), interest}
}

// CountAudience counts who would receive a broadcast now.
func (tx *Tx) CountAudience(ctx context.Context, a Audience) (int, error) {
	var n int
	if err := tx.X.GetContext(ctx, &n, `SELECT count(*)`+audienceFrom, audienceArgs(a)...); err != nil {
		return 0, fmt.Errorf("counting audience: %w", err)
	}
	return n, nil
}

// CountAudienceByChannel is CountAudience per channel of the people, for
// the composer's preview ("Telegram 12, Zalo < 5").
func (tx *Tx) CountAudienceByChannel(ctx context.Context, a Audience) (map[string]int, error) {
	var rows []struct {
		Channel string `db:"channel"`
		N       int    `db:"n"`
	}
	if err := tx.X.SelectContext(ctx, &rows, `SELECT p.channel, count(*) AS n`+audienceFrom+` GROUP BY p.channel`, audienceArgs(a)...); err != nil {
		return nil, fmt.Errorf("counting audience per channel: %w", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Channel] = r.N
	}
	return out, nil
}

// AudienceRefs lists the addresses on channel of who would receive a
// broadcast now, for a channel that tells how it would reach them (Zalo's
// window).
func (tx *Tx) AudienceRefs(ctx context.Context, a Audience, channel string) ([]string, error) {
	var refs []string
	args := append(audienceArgs(a), channel)
	if err := tx.X.SelectContext(ctx, &refs, `SELECT p.chat_ref`+audienceFrom+` AND p.channel = $4`, args...); err != nil {
		return nil, fmt.Errorf("listing the audience on %s: %w", channel, err)
	}
	return refs, nil
}

// NewDraft starts a composer for the staff member, dropping an older draft.
func (tx *Tx) NewDraft(ctx context.Context, staffID, chatID int64, lang string) (Broadcast, error) {
	if _, err := tx.X.ExecContext(ctx, `DELETE FROM broadcasts WHERE author_staff_id = $1 AND status = 'draft'`, staffID); err != nil {
		return Broadcast{}, fmt.Errorf("dropping old draft of %d: %w", staffID, err)
	}
	var id int64
	if err := tx.X.GetContext(ctx, &id,
		`INSERT INTO broadcasts (author_staff_id, author_chat_id, author_lang, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
		staffID, chatID, lang, tx.db.Now()); err != nil {
		return Broadcast{}, fmt.Errorf("starting draft of %d: %w", staffID, err)
	}
	return tx.Broadcast(ctx, id)
}

// Draft returns the staff member's draft, locked, if it was touched within
// life before now.
func (tx *Tx) Draft(ctx context.Context, staffID int64, life time.Duration, now time.Time) (Broadcast, bool, error) {
	var b Broadcast
	err := tx.X.GetContext(ctx, &b, broadcastSelect+`
 WHERE b.author_staff_id = $1 AND b.status = 'draft' AND b.updated_at > $2
   FOR UPDATE OF b`, staffID, now.Add(-life))
	if errors.Is(err, sql.ErrNoRows) {
		return b, false, nil
	}
	if err != nil {
		return b, false, fmt.Errorf("reading draft of %d: %w", staffID, err)
	}
	return b, true, nil
}

// DiscardDraft drops the staff member's draft; false when there was none.
func (tx *Tx) DiscardDraft(ctx context.Context, staffID int64) (bool, error) {
	res, err := tx.X.ExecContext(ctx, `DELETE FROM broadcasts WHERE author_staff_id = $1 AND status = 'draft'`, staffID)
	if err != nil {
		return false, fmt.Errorf("discarding draft of %d: %w", staffID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// Broadcast reads one broadcast and locks it for the transaction.
func (tx *Tx) Broadcast(ctx context.Context, id int64) (Broadcast, error) {
	var b Broadcast
	if err := tx.X.GetContext(ctx, &b, broadcastSelect+` WHERE b.id = $1 FOR UPDATE OF b`, id); err != nil {
		return b, fmt.Errorf("reading broadcast %d: %w", id, notFound(err))
	}
	return b, nil
}

// Broadcast reads one broadcast without locking it.
func (db *DB) Broadcast(ctx context.Context, id int64) (Broadcast, error) {
	var b Broadcast
	if err := db.X.GetContext(ctx, &b, broadcastSelect+` WHERE b.id = $1`, id); err != nil {
		return b, fmt.Errorf("reading broadcast %d: %w", id, notFound(err))
	}
	return b, nil
}

const saveDraftSQL = `
UPDATE broadcasts
   SET step = $2, body = $3, media_kind = $4, media_file_id = $5, province_wide = $6, communes = $7,
       interest = $8, scheduled_at = $9, updated_at = $10
 WHERE id = $1 AND status = 'draft'`

// SaveDraft writes the composer's fields of a draft.
func (tx *Tx) SaveDraft(ctx context.Context, b Broadcast) error {
	communes := []string(b.Communes)
	if communes == nil {
		communes = []string{}
	}
	_, err := tx.X.ExecContext(ctx, saveDraftSQL, b.ID, b.Step, b.Body, b.MediaKind, b.MediaFileID,
		b.ProvinceWide, pq.Array(communes), b.Interest, b.ScheduledAt, tx.db.Now())
	if err != nil {
		return fmt.Errorf("saving draft %d: %w", b.ID, err)
	}
	return nil
}

// ConfirmBroadcast ends the composer: the draft becomes scheduled (or
// waits for an admin), at its time or at now.
func (tx *Tx) ConfirmBroadcast(ctx context.Context, id int64, st BroadcastStatus, estimate int, now time.Time) error {
	res, err := tx.X.ExecContext(ctx, `
UPDATE broadcasts SET status = $2, estimate = $3, confirmed_at = $4, scheduled_at = coalesce(scheduled_at, $4), updated_at = $4
 WHERE id = $1 AND status = 'draft'`, id, st, estimate, now)
	if err != nil {
		return fmt.Errorf("confirming broadcast %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("confirming broadcast %d: %w", id, ErrNotFound)
	}
	return nil
}

// DecideBroadcast approves (scheduled, not before now) or rejects
// (cancelled) a broadcast waiting for approval. False when it was no
// longer waiting.
func (tx *Tx) DecideBroadcast(ctx context.Context, id, adminID int64, approve bool, now time.Time) (bool, error) {
	q := `UPDATE broadcasts SET status = 'scheduled', approved_by = $2, scheduled_at = greatest(scheduled_at, $3), updated_at = $3
 WHERE id = $1 AND status = 'pending_approval'`
	if !approve {
		q = `UPDATE broadcasts SET status = 'cancelled', cancelled_by = $2, cancel_reason = 'rejected', finished_at = $3, updated_at = $3
 WHERE id = $1 AND status = 'pending_approval'`
	}
	res, err := tx.X.ExecContext(ctx, q, id, adminID, now)
	if err != nil {
		return false, fmt.Errorf("deciding broadcast %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// CancelBroadcast stops a broadcast that has not finished; recipients not
// yet sent to end failed with reason "cancelled" (those being sent right
// now finish as they go). False when it had already finished.
func (tx *Tx) CancelBroadcast(ctx context.Context, id, staffID int64, now time.Time) (bool, error) {
	res, err := tx.X.ExecContext(ctx, `
UPDATE broadcasts SET status = 'cancelled', cancelled_by = $2, cancel_reason = 'cancelled', finished_at = $3, updated_at = $3
 WHERE id = $1 AND status IN ('pending_approval', 'scheduled', 'running')`, id, staffID, now)
	if err != nil {
		return false, fmt.Errorf("cancelling broadcast %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.X.ExecContext(ctx, `
UPDATE deliveries SET status = 'failed', last_error = 'cancelled' WHERE broadcast_id = $1 AND status = 'pending'`, id); err != nil {
		return false, fmt.Errorf("cancelling deliveries of %d: %w", id, err)
	}
	return true, nil
}

// StartDueBroadcasts starts every scheduled broadcast whose time has come:
// one transaction each creates its deliveries (one INSERT ... SELECT of the
// audience as it is now) and marks it running. Several processes may call
// it at once; each broadcast is started by one.
func (db *DB) StartDueBroadcasts(ctx context.Context, now time.Time) ([]int64, error) {
	var started []int64
	for {
		var id int64
		err := db.InTx(ctx, func(tx *Tx) error {
			id = 0
			var b Broadcast
			err := tx.X.GetContext(ctx, &b, broadcastSelect+`
 WHERE b.status = 'scheduled' AND b.scheduled_at <= $1 ORDER BY b.scheduled_at, b.id LIMIT 1 FOR UPDATE OF b SKIP LOCKED`, now)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("finding due broadcasts: %w", err)
			}
			args := append(audienceArgs(b.Audience()), b.ID, now)
			res, err := tx.X.ExecContext(ctx, `
INSERT INTO deliveries (broadcast_id, person_id, next_attempt_at)
SELECT $4, p.id, $5`+audienceFrom+`
 ORDER BY p.id
ON CONFLICT (broadcast_id, person_id) DO NOTHING`, args...)
			if err != nil {
				return fmt.Errorf("creating deliveries of broadcast %d: %w", b.ID, err)
			}
			n, _ := res.RowsAffected()
			if _, err := tx.X.ExecContext(ctx, `
UPDATE broadcasts SET status = 'running', started_at = $2, total = $3, updated_at = $2 WHERE id = $1`, b.ID, now, n); err != nil {
				return fmt.Errorf("starting broadcast %d: %w", b.ID, err)
			}
			id = b.ID
			return nil
		})
		if err != nil || id == 0 {
			return started, err
		}
		started = append(started, id)
	}
}

// Delivery is a claimed delivery with what sending it needs.
type Delivery struct {
	ID          int64     `db:"id"`
	BroadcastID int64     `db:"broadcast_id"`
	PersonID    int64     `db:"person_id"`
	Attempts    int       `db:"attempts"`
	ClaimedAt   time.Time `db:"claimed_at"` // identifies this claim
	Channel     string    `db:"channel"`
	ChatRef     string    `db:"chat_ref"`
	Lang        string    `db:"language"`
	OptedOut    bool      `db:"announcements_off"`
	Consented   bool      `db:"consented"`
}

// Oldest first; rows of a running broadcast only. A 'sending' row claimed
// before $2 was abandoned by a process that died: it is taken again.
const claimSQL = `
WITH c AS (
    SELECT d.id FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
     WHERE d.status IN ('pending', 'sending') AND b.status = 'running'
       AND ((d.status = 'pending' AND d.next_attempt_at <= $1) OR (d.status = 'sending' AND d.claimed_at < $2))
     ORDER BY d.id
     LIMIT $3
       FOR UPDATE OF d SKIP LOCKED)
UPDATE deliveries d SET status = 'sending', claimed_at = $1, attempts = d.attempts + 1
  FROM c, people p
 WHERE d.id = c.id AND p.id = d.person_id
RETURNING d.id, d.broadcast_id, d.person_id, d.attempts, d.claimed_at, p.channel, p.chat_ref, p.language, p.announcements_off,
       coalesce((SELECT k.granted FROM consents k
                  WHERE k.person_id = p.id AND k.purpose = 'announcements'
                  ORDER BY k.decided_at DESC, k.id DESC LIMIT 1), false) AS consented`

// ClaimDeliveries marks up to limit due deliveries 'sending' for this
// worker and returns them, oldest first.
func (db *DB) ClaimDeliveries(ctx context.Context, now, staleBefore time.Time, limit int) ([]Delivery, error) {
	var out []Delivery
	if err := db.X.SelectContext(ctx, &out, claimSQL, now, staleBefore, limit); err != nil {
		return nil, fmt.Errorf("claiming deliveries: %w", err)
	}
	// RETURNING does not keep the CTE's order.
	slices.SortFunc(out, func(a, b Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// DeliveriesDue reports whether a running broadcast has deliveries to
// claim (the same test as ClaimDeliveries).
func (db *DB) DeliveriesDue(ctx context.Context, now, staleBefore time.Time) (bool, error) {
	var due bool
	err := db.X.GetContext(ctx, &due, `
SELECT EXISTS (
    SELECT 1 FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id
     WHERE d.status IN ('pending', 'sending') AND b.status = 'running'
       AND ((d.status = 'pending' AND d.next_attempt_at <= $1) OR (d.status = 'sending' AND d.claimed_at < $2)))`,
		now, staleBefore)
	if err != nil {
		return false, fmt.Errorf("looking for due deliveries: %w", err)
	}
	return due, nil
}

// TouchDelivery renews the claim right before sending, and says whether
// to send: mine is false when the claim was lost (another worker took the
// row over), running false when the broadcast no longer runs.
func (db *DB) TouchDelivery(ctx context.Context, d *Delivery, now time.Time) (mine, running bool, err error) {
	var r struct {
		Status    string    `db:"status"`
		ClaimedAt time.Time `db:"claimed_at"`
	}
	err = db.X.GetContext(ctx, &r, `
UPDATE deliveries d SET claimed_at = $3 FROM broadcasts b
 WHERE d.id = $1 AND d.status = 'sending' AND d.claimed_at = $2 AND b.id = d.broadcast_id
RETURNING b.status, d.claimed_at`, d.ID, d.ClaimedAt, now)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("renewing delivery %d: %w", d.ID, err)
	}
	d.ClaimedAt = r.ClaimedAt
	return true, r.Status == string(BroadcastRunning), nil
}

// FinishDelivery records a delivery's end: sent, unreachable or failed.
func (db *DB) FinishDelivery(ctx context.Context, d Delivery, st DeliveryStatus, reason string, at time.Time, msgID int) error {
	var sentAt sql.NullTime
	if st == DeliverySent {
		sentAt = sql.NullTime{Time: at, Valid: true}
	}
	_, err := db.X.ExecContext(ctx, `
UPDATE deliveries SET status = $3, last_error = $4, sent_at = $5, message_id = $6, claimed_at = NULL
 WHERE id = $1 AND status = 'sending' AND claimed_at = $2`,
		d.ID, d.ClaimedAt, st, optStr(reason), sentAt, sql.NullInt64{Int64: int64(msgID), Valid: msgID != 0})
	if err != nil {
		return fmt.Errorf("finishing delivery %d: %w", d.ID, err)
	}
	return nil
}

// RetryDelivery puts a delivery back for another attempt at next.
func (db *DB) RetryDelivery(ctx context.Context, d Delivery, next time.Time, reason string) error {
	_, err := db.X.ExecContext(ctx, `
UPDATE deliveries SET status = 'pending', next_attempt_at = $3, last_error = $4, claimed_at = NULL
 WHERE id = $1 AND status = 'sending' AND claimed_at = $2`, d.ID, d.ClaimedAt, next, reason)
	if err != nil {
		return fmt.Errorf("retrying delivery %d: %w", d.ID, err)
	}
	return nil
}

// ReleaseDelivery hands back a claimed delivery that was not tried (the
// worker is stopping, or quiet hours began); the attempt does not count.
func (db *DB) ReleaseDelivery(ctx context.Context, d Delivery) error {
	_, err := db.X.ExecContext(ctx, `
UPDATE deliveries SET status = 'pending', attempts = greatest(attempts - 1, 0), claimed_at = NULL
 WHERE id = $1 AND status = 'sending' AND claimed_at = $2`, d.ID, d.ClaimedAt)
	if err != nil {
		return fmt.Errorf("releasing delivery %d: %w", d.ID, err)
	}
	return nil
}

// Figures are a broadcast's counts by delivery status.
type Figures struct {
	Total       int `db:"total"`
	Sent        int `db:"sent"`
	Pending     int `db:"pending"` // pending or being sent
	Unreachable int `db:"unreachable"`
	Failed      int `db:"failed"`
}

// Done is how many deliveries have ended.
func (f Figures) Done() int { return f.Sent + f.Unreachable + f.Failed }

const figuresCols = `
count(*) AS total,
count(*) FILTER (WHERE status = 'sent') AS sent,
count(*) FILTER (WHERE status IN ('pending', 'sending')) AS pending,
count(*) FILTER (WHERE status = 'unreachable') AS unreachable,
count(*) FILTER (WHERE status = 'failed') AS failed`

// BroadcastFigures counts a broadcast's deliveries by status.
func (db *DB) BroadcastFigures(ctx context.Context, id int64) (Figures, error) {
	var f Figures
	if err := db.X.GetContext(ctx, &f, `SELECT `+figuresCols+` FROM deliveries WHERE broadcast_id = $1`, id); err != nil {
		return f, fmt.Errorf("counting deliveries of %d: %w", id, err)
	}
	return f, nil
}

// FailAbandoned ends the deliveries of a cancelled broadcast that nobody
// is sending any more: pending ones, and 'sending' ones claimed before
// staleBefore (their process died).
func (db *DB) FailAbandoned(ctx context.Context, id int64, staleBefore time.Time) error {
	_, err := db.X.ExecContext(ctx, `
UPDATE deliveries SET status = 'failed', last_error = 'cancelled', claimed_at = NULL
 WHERE broadcast_id = $1 AND (status = 'pending' OR (status = 'sending' AND claimed_at < $2))`, id, staleBefore)
	if err != nil {
		return fmt.Errorf("ending deliveries of cancelled %d: %w", id, err)
	}
	return nil
}

// FinishIfDone marks a running broadcast done once no delivery is open.
func (db *DB) FinishIfDone(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := db.X.ExecContext(ctx, `
UPDATE broadcasts SET status = 'done', finished_at = $2, updated_at = $2
 WHERE id = $1 AND status = 'running'
   AND NOT EXISTS (SELECT 1 FROM deliveries WHERE broadcast_id = $1 AND status IN ('pending', 'sending'))`, id, now)
	if err != nil {
		return false, fmt.Errorf("finishing broadcast %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// BroadcastsToReport lists broadcasts whose author still has a status
// message or a summary coming.
func (db *DB) BroadcastsToReport(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := db.X.SelectContext(ctx, &ids, `
SELECT id FROM broadcasts
 WHERE summary_sent_at IS NULL AND status IN ('scheduled', 'running', 'done', 'cancelled')
 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("listing broadcasts to report: %w", err)
	}
	return ids, nil
}

// ClaimStatusReport gives this process the right to update a broadcast's
// status message until now+every; false when another process has it, or
// when the summary went out.
func (db *DB) ClaimStatusReport(ctx context.Context, id int64, now time.Time, every time.Duration) (Broadcast, bool, error) {
	res, err := db.X.ExecContext(ctx, `
UPDATE broadcasts SET status_claimed_at = $2
 WHERE id = $1 AND summary_sent_at IS NULL AND (status_claimed_at IS NULL OR status_claimed_at <= $3)`,
		id, now, now.Add(-every))
	if err != nil {
		return Broadcast{}, false, fmt.Errorf("claiming status of broadcast %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Broadcast{}, false, nil
	}
	b, err := db.Broadcast(ctx, id)
	return b, err == nil, err
}

// SetStatusMessage records the author's status message and its text.
func (db *DB) SetStatusMessage(ctx context.Context, id, chatID int64, msgID int, text string) error {
	_, err := db.X.ExecContext(ctx, `
UPDATE broadcasts SET status_chat_id = $2, status_msg_id = $3, status_text = $4 WHERE id = $1`, id, chatID, msgID, text)
	if err != nil {
		return fmt.Errorf("recording status message of %d: %w", id, err)
	}
	return nil
}

// MarkSummarySent records that the author has the final summary.
func (db *DB) MarkSummarySent(ctx context.Context, id int64, at time.Time) error {
	if _, err := db.X.ExecContext(ctx, `UPDATE broadcasts SET summary_sent_at = $2 WHERE id = $1`, id, at); err != nil {
		return fmt.Errorf("marking summary of %d: %w", id, err)
	}
	return nil
}

// BroadcastListing is a broadcast with its figures, for /announcements.
type BroadcastListing struct {
	Broadcast
	Figures
}

// RecentBroadcasts lists the newest confirmed broadcasts, of one author or
// (authorID 0) of everyone.
func (db *DB) RecentBroadcasts(ctx context.Context, authorID int64, limit int) ([]BroadcastListing, error) {
	var out []BroadcastListing
	err := db.X.SelectContext(ctx, &out, `
SELECT x.*, f.sent, f.pending, f.unreachable, f.failed FROM (`+broadcastSelect+`
 WHERE b.status <> 'draft' AND ($1 = 0 OR b.author_staff_id = $1)
 ORDER BY b.id DESC LIMIT $2) x
 LEFT JOIN LATERAL (SELECT `+figuresCols+` FROM deliveries WHERE broadcast_id = x.id) f ON true
 ORDER BY x.id DESC`, authorID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing broadcasts: %w", err)
	}
	for i := range out {
		out[i].Figures.Total = out[i].Broadcast.Total // deliveries created at the start
	}
	return out, nil
}

// Admins lists the active admins with a bound Telegram account.
func (tx *Tx) Admins(ctx context.Context) ([]Staff, error) {
	var out []Staff
	if err := tx.X.SelectContext(ctx, &out, `SELECT `+staffCols+` FROM staff
 WHERE role = 'admin' AND active AND telegram_user_id IS NOT NULL ORDER BY id`); err != nil {
		return nil, fmt.Errorf("listing admins: %w", err)
	}
	return out, nil
}

// CommuneNames maps commune codes to names.
func (tx *Tx) CommuneNames(ctx context.Context, codes []string) (map[string]string, error) {
	var rows []struct {
		Code string `db:"code"`
		Name string `db:"name"`
	}
	if err := tx.X.SelectContext(ctx, &rows, `SELECT code, name FROM communes WHERE code = ANY($1)`, pq.Array(codes)); err != nil {
		return nil, fmt.Errorf("reading commune names: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Code] = r.Name
	}
	return out, nil
}

// SetAnnouncementsOff opts a person out of announcements (or back in);
// changed is false when it already was so.
func (tx *Tx) SetAnnouncementsOff(ctx context.Context, personID int64, off bool) (bool, error) {
	res, err := tx.X.ExecContext(ctx, `UPDATE people SET announcements_off = $2 WHERE id = $1 AND announcements_off <> $2`, personID, off)
	if err != nil {
		return false, fmt.Errorf("setting announcements of %d: %w", personID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
