package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"
)

// A file a channel cannot carry (a /mydata export on Zalo) is kept for a
// while behind a download link (webchat serves it, bot makes it).
const (
	// FileLinkTTL: a day is long enough to open a link sent while the
	// person was away from their phone, and short enough that a link
	// found later in a shared phone's chat has stopped working; /mydata
	// makes a new one at any time.
	FileLinkTTL = 24 * time.Hour
	// FileLinkFetches: a link works a few times, not once, because a
	// messenger's preview of the link (Zalo's, a browser's prefetch) may
	// fetch it before the person does, and a download broken off must be
	// retried; a handful bounds what a forwarded link gives away.
	FileLinkFetches = 5
	// FileTokenLen is the length of a link's token: 16 random bytes
	// (128 bits) in unpadded base64url.
	FileTokenLen = 22
)

// LinkedFile is a file behind a download link.
type LinkedFile struct {
	Name string `db:"name"`
	MIME string `db:"mime"`
	Data []byte `db:"data"`
}

// Why a link gave no file.
var (
	ErrFileLinkUnknown = errors.New("no such file link")
	ErrFileLinkGone    = errors.New("file link expired or used up")
)

func fileTokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// AddFileLink keeps f for the person until FileLinkTTL from now and
// returns the link's token (only its hash is stored). The person's
// earlier links go: one live copy of their data at a time.
func (tx *Tx) AddFileLink(ctx context.Context, personID int64, f LinkedFile) (token string, err error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("making a file link token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	now := tx.db.Now()
	if _, err := tx.X.ExecContext(ctx, `DELETE FROM file_links WHERE person_id = $1`, personID); err != nil {
		return "", fmt.Errorf("replacing the file links of person %d: %w", personID, err)
	}
	if _, err := tx.X.ExecContext(ctx, `
INSERT INTO file_links (token_hash, person_id, name, mime, data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		fileTokenHash(token), personID, f.Name, f.MIME, f.Data, now, now.Add(FileLinkTTL)); err != nil {
		return "", fmt.Errorf("keeping a file for person %d: %w", personID, err)
	}
	return token, nil
}

// FetchFileLink returns the file behind token and counts the fetch, while
// the link is neither expired nor used FileLinkFetches times;
// ErrFileLinkGone when it was but is no longer, ErrFileLinkUnknown when
// there is no such link (never was, or pruned).
func (db *DB) FetchFileLink(ctx context.Context, token string) (LinkedFile, error) {
	var f LinkedFile
	h := fileTokenHash(token)
	err := db.X.GetContext(ctx, &f, `
UPDATE file_links SET fetches = fetches + 1 WHERE token_hash = $1 AND expires_at > $2 AND fetches < $3
RETURNING name, mime, data`, h, db.Now(), FileLinkFetches)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("fetching a linked file: %w", err)
	}
	var gone bool
	if err := db.X.GetContext(ctx, &gone, `SELECT EXISTS (SELECT 1 FROM file_links WHERE token_hash = $1)`, h); err != nil {
		return f, fmt.Errorf("fetching a linked file: %w", err)
	}
	if gone {
		return f, ErrFileLinkGone
	}
	return f, ErrFileLinkUnknown
}

// PruneFileLinks deletes the files whose links have expired.
func (db *DB) PruneFileLinks(ctx context.Context) (int64, error) {
	res, err := db.X.ExecContext(ctx, `DELETE FROM file_links WHERE expires_at <= $1`, db.Now())
	if err != nil {
		return 0, fmt.Errorf("pruning file links: %w", err)
	}
	return res.RowsAffected()
}

// eraseFileLinks deletes the person's linked files (their erasure).
func eraseFileLinks(ctx context.Context, tx *Tx, personID int64) error {
	_, err := tx.X.ExecContext(ctx, `DELETE FROM file_links WHERE person_id = $1`, personID)
	return err
}
