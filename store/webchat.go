package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The web chat's tables (migration 00110): people by their short code,
// browser sessions by the hash of their cookie token, the durable outbox
// the page reads, push subscriptions and the server's VAPID keys.

// WebSession is a browser's session on the web chat.
type WebSession struct {
	Ref  string `db:"ref"`  // the person's address ref on channel "web"
	Code string `db:"code"` // the short code the person writes down
	CSRF string `db:"csrf"` // the token every POST of the session carries
}

// NewWebPerson makes a person of the web chat with a fresh ref and code,
// and their first session. A code already taken (a collision) is an
// IsUniqueViolation error: the caller draws another.
func (db *DB) NewWebPerson(ctx context.Context, ref, code string, tokenHash []byte, csrf string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		at := db.Now()
		if _, err := tx.X.ExecContext(ctx, `INSERT INTO webchat_people (ref, code, created_at) VALUES ($1, $2, $3)`, ref, code, at); err != nil {
			return fmt.Errorf("adding a web chat person: %w", err)
		}
		return addWebSession(ctx, tx, ref, tokenHash, csrf, at)
	})
}

func addWebSession(ctx context.Context, tx *Tx, ref string, tokenHash []byte, csrf string, at time.Time) error {
	if _, err := tx.X.ExecContext(ctx, `
INSERT INTO webchat_sessions (token_hash, ref, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)`, tokenHash, ref, csrf, at); err != nil {
		return fmt.Errorf("adding a web chat session: %w", err)
	}
	return nil
}

// WebSessionByToken finds the live session of a cookie token's hash and
// notes it was seen; ok is false for an unknown or ended one.
func (db *DB) WebSessionByToken(ctx context.Context, tokenHash []byte) (s WebSession, ok bool, err error) {
	err = db.X.GetContext(ctx, &s, `
UPDATE webchat_sessions s SET last_seen_at = $2 FROM webchat_people p
 WHERE s.token_hash = $1 AND s.ended_at IS NULL AND p.ref = s.ref
RETURNING s.ref, p.code, s.csrf`, tokenHash, db.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("reading a web chat session: %w", err)
	}
	return s, true, nil
}

// EndWebSession ends a session ("end session on this phone"): its cookie
// no longer opens the chat.
func (db *DB) EndWebSession(ctx context.Context, tokenHash []byte) error {
	if _, err := db.X.ExecContext(ctx, `UPDATE webchat_sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL`, tokenHash, db.Now()); err != nil {
		return fmt.Errorf("ending a web chat session: %w", err)
	}
	return nil
}

// WebContinue outcomes.
var (
	ErrWebCodeLocked = errors.New("too many attempts for this code")
	ErrWebNoMatch    = errors.New("code and phone do not match")
)

// WebContinue opens a new session for the person whose code it is, when
// phone (E.164, as the flows store it) is the phone of their profile.
// Each failure counts against the code; after maxFailures it is locked
// for lockFor, whatever phone is tried (a guessed code gets few tries).
func (db *DB) WebContinue(ctx context.Context, code, phone string, tokenHash []byte, csrf string, maxFailures int, lockFor time.Duration) (ref string, err error) {
	err = db.InTx(ctx, func(tx *Tx) error {
		ref = ""
		at := db.Now()
		var p struct {
			Ref    string         `db:"ref"`
			Locked sql.NullTime   `db:"locked_until"`
			Fails  int            `db:"failures"`
			Phone  sql.NullString `db:"phone"`
		}
		err := tx.X.GetContext(ctx, &p, `
SELECT w.ref, w.locked_until, w.failures, pe.phone FROM webchat_people w
  LEFT JOIN people pe ON pe.channel = 'web' AND pe.external_id = w.ref AND pe.erased_at IS NULL
 WHERE w.code = $1 FOR UPDATE OF w`, code)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrWebNoMatch
		}
		if err != nil {
			return fmt.Errorf("reading web chat code: %w", err)
		}
		if p.Locked.Valid && at.Before(p.Locked.Time) {
			return ErrWebCodeLocked
		}
		if !p.Phone.Valid || p.Phone.String == "" || p.Phone.String != phone {
			fails, locked := p.Fails+1, sql.NullTime{}
			if fails >= maxFailures {
				fails, locked = 0, sql.NullTime{Time: at.Add(lockFor), Valid: true}
			}
			if _, err := tx.X.ExecContext(ctx, `UPDATE webchat_people SET failures = $2, locked_until = $3 WHERE ref = $1`, p.Ref, fails, locked); err != nil {
				return fmt.Errorf("counting a failed web chat continue: %w", err)
			}
			return nil // committed: the failure counts
		}
		if _, err := tx.X.ExecContext(ctx, `UPDATE webchat_people SET failures = 0, locked_until = NULL WHERE ref = $1`, p.Ref); err != nil {
			return fmt.Errorf("resetting web chat failures: %w", err)
		}
		ref = p.Ref
		return addWebSession(ctx, tx, p.Ref, tokenHash, csrf, at)
	})
	if err == nil && ref == "" {
		err = ErrWebNoMatch
	}
	return ref, err
}

// WebMessage is one message of a person's web chat history.
type WebMessage struct {
	ID       int64           `db:"id"`
	At       time.Time       `db:"at"`
	Mine     bool            `db:"mine"`
	Body     json.RawMessage `db:"body"`
	FileName sql.NullString  `db:"file_name"`
	FileMIME sql.NullString  `db:"file_mime"`
}

// AddWebMessage appends a message to the person's outbox and returns its
// id (the event id the page resumes from).
func (db *DB) AddWebMessage(ctx context.Context, ref string, mine bool, body []byte, fileName, fileMIME string, fileData []byte) (int64, error) {
	var id int64
	err := db.X.GetContext(ctx, &id, `
INSERT INTO webchat_messages (ref, at, mine, body, file_name, file_mime, file_data)
VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), $7) RETURNING id`, ref, db.Now(), mine, string(body), fileName, fileMIME, fileData)
	if err != nil {
		return 0, fmt.Errorf("adding to the web chat outbox of %s: %w", ref, err)
	}
	return id, nil
}

// WebMessagesAfter lists the person's messages after id, oldest first, at
// most limit; with after 0 it gives the newest limit messages (a page's
// first load).
func (db *DB) WebMessagesAfter(ctx context.Context, ref string, after int64, limit int) ([]WebMessage, error) {
	var out []WebMessage
	q := `SELECT id, at, mine, body, file_name, file_mime FROM webchat_messages WHERE ref = $1 AND id > $2 ORDER BY id LIMIT $3`
	if after <= 0 {
		q = `SELECT * FROM (SELECT id, at, mine, body, file_name, file_mime FROM webchat_messages WHERE ref = $1 AND id > $2
		      ORDER BY id DESC LIMIT $3) m ORDER BY id`
	}
	if err := db.X.SelectContext(ctx, &out, q, ref, after, limit); err != nil {
		return nil, fmt.Errorf("reading the web chat outbox of %s: %w", ref, err)
	}
	return out, nil
}

// WebFile is a file of a message of the person's (a /mydata export).
func (db *DB) WebFile(ctx context.Context, ref string, id int64) (name, mime string, data []byte, ok bool, err error) {
	var f struct {
		Name string `db:"file_name"`
		MIME string `db:"file_mime"`
		Data []byte `db:"file_data"`
	}
	err = db.X.GetContext(ctx, &f, `
SELECT file_name, file_mime, file_data FROM webchat_messages WHERE ref = $1 AND id = $2 AND file_data IS NOT NULL`, ref, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil, false, nil
	}
	if err != nil {
		return "", "", nil, false, fmt.Errorf("reading web chat file %d: %w", id, err)
	}
	return f.Name, f.MIME, f.Data, true, nil
}

// WebPush is a browser's push subscription.
type WebPush struct {
	Endpoint string `db:"endpoint"`
	P256dh   string `db:"p256dh"`
	Auth     string `db:"auth"`
}

// SaveWebPush keeps a subscription for the person (a browser that
// subscribes again, or moves to another person, replaces its row).
func (db *DB) SaveWebPush(ctx context.Context, ref string, p WebPush) error {
	if _, err := db.X.ExecContext(ctx, `
INSERT INTO webchat_push (endpoint, ref, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (endpoint) DO UPDATE SET ref = EXCLUDED.ref, p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, created_at = EXCLUDED.created_at`,
		p.Endpoint, ref, p.P256dh, p.Auth, db.Now()); err != nil {
		return fmt.Errorf("saving a push subscription: %w", err)
	}
	return nil
}

// WebPushes lists the person's subscriptions.
func (db *DB) WebPushes(ctx context.Context, ref string) ([]WebPush, error) {
	var out []WebPush
	if err := db.X.SelectContext(ctx, &out, `SELECT endpoint, p256dh, auth FROM webchat_push WHERE ref = $1 ORDER BY created_at`, ref); err != nil {
		return nil, fmt.Errorf("reading push subscriptions: %w", err)
	}
	return out, nil
}

// DropWebPush forgets a subscription (the push service said it is gone,
// or the session ended on that phone).
func (db *DB) DropWebPush(ctx context.Context, endpoint string) error {
	if _, err := db.X.ExecContext(ctx, `DELETE FROM webchat_push WHERE endpoint = $1`, endpoint); err != nil {
		return fmt.Errorf("dropping a push subscription: %w", err)
	}
	return nil
}

// VAPIDKeys returns the server's VAPID key pair, storing the one gen
// makes when there is none yet; two processes starting together agree on
// the first stored.
func (db *DB) VAPIDKeys(ctx context.Context, gen func() (private, public string, err error)) (private, public string, err error) {
	var k struct {
		Private string `db:"private_key"`
		Public  string `db:"public_key"`
	}
	err = db.X.GetContext(ctx, &k, `SELECT private_key, public_key FROM webchat_vapid WHERE id = 1`)
	if err == nil {
		return k.Private, k.Public, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("reading the VAPID keys: %w", err)
	}
	priv, pub, err := gen()
	if err != nil {
		return "", "", fmt.Errorf("making VAPID keys: %w", err)
	}
	if _, err := db.X.ExecContext(ctx, `
INSERT INTO webchat_vapid (id, public_key, private_key, created_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING`, pub, priv, db.Now()); err != nil {
		return "", "", fmt.Errorf("storing the VAPID keys: %w", err)
	}
	if err := db.X.GetContext(ctx, &k, `SELECT private_key, public_key FROM webchat_vapid WHERE id = 1`); err != nil {
		return "", "", fmt.Errorf("reading the VAPID keys: %w", err)
	}
	return k.Private, k.Public, nil
}

// eraseWebChat deletes a web chat person's history (what the bot said
// holds their answers) and stored files, as part of an erasure.
func eraseWebChat(ctx context.Context, tx *Tx, channel, ref string) error {
	if channel != "web" {
		return nil
	}
	_, err := tx.X.ExecContext(ctx, `DELETE FROM webchat_messages WHERE ref = $1`, ref)
	return err
}

// WebChatPruned says what PruneWebChat removed.
type WebChatPruned struct {
	Sessions int64 // ended a week ago, or unused for the retention period
	Visitors int64 // opened the page, never became a person, a month ago
}

// PruneWebChat forgets what the web chat no longer needs: sessions ended
// more than a week ago or unused since idleCutoff (the retention period:
// a cookie that old opens nothing a person expects), and visitors who
// opened the page more than 30 days ago but never wrote (no person row,
// nothing waiting in the inbox, no live session), with their outbox and
// push subscriptions.
func (db *DB) PruneWebChat(ctx context.Context, idleCutoff time.Time) (WebChatPruned, error) {
	var p WebChatPruned
	now := db.Now()
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.X.ExecContext(ctx, `
DELETE FROM webchat_sessions WHERE ended_at < $1 OR last_seen_at < $2`, now.Add(-7*24*time.Hour), idleCutoff)
		if err != nil {
			return fmt.Errorf("pruning web chat sessions: %w", err)
		}
		p.Sessions, _ = res.RowsAffected()
		res, err = tx.X.ExecContext(ctx, `
DELETE FROM webchat_people w
 WHERE w.created_at < $1
   AND NOT EXISTS (SELECT 1 FROM people pe WHERE pe.channel = 'web' AND pe.external_id = w.ref)
   AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.channel = 'web' AND i.address = w.ref AND i.handled_at IS NULL)
   AND NOT EXISTS (SELECT 1 FROM webchat_sessions s WHERE s.ref = w.ref AND s.ended_at IS NULL)`, now.Add(-30*24*time.Hour))
		if err != nil {
			return fmt.Errorf("pruning web chat visitors: %w", err)
		}
		p.Visitors, _ = res.RowsAffected()
		return nil
	})
	return p, err
}
