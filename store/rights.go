package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/lib/pq"

	"reentrybot/domain"
)

// OutcomeErased closes the open cases of a person who erased their data.
const OutcomeErased = "data_erased"

// OutcomeWithdrawn closes the open cases whose purpose the person withdrew
// their consent to.
const OutcomeWithdrawn = "consent_withdrawn"

// ChannelErased is the channel of the anonymous records erased people's
// cases and appointments are moved to.
const ChannelErased = "erased"

// Export is what /mydata sends: everything stored about a person. Staff
// appear by their display name only; counsellors' internal notes are not
// included.
type Export struct {
	ExportedAt   time.Time           `json:"exported_at"`
	Person       exportPerson        `json:"person"`
	Consents     []ConsentRecord     `json:"consents"`
	Cases        []exportCase        `json:"cases"`
	Appointments []exportAppointment `json:"appointments"`
	Conversation *exportConversation `json:"conversation_in_progress,omitempty"`
}

type exportPerson struct {
	Channel          string         `json:"channel" db:"channel"`
	AccountID        string         `json:"account_id" db:"external_id"`
	Language         string         `json:"language" db:"language"`
	FullName         sql.NullString `json:"-" db:"full_name"`
	BirthYear        sql.NullInt64  `json:"-" db:"birth_year"`
	Gender           sql.NullString `json:"-" db:"gender"`
	Phone            sql.NullString `json:"-" db:"phone"`
	CommuneCode      sql.NullString `json:"-" db:"commune_code"`
	CommuneName      sql.NullString `json:"-" db:"commune_name"`
	SentenceEnd      sql.NullString `json:"-" db:"sentence_end"`
	Education        sql.NullString `json:"-" db:"education"`
	VTSupportBefore  sql.NullBool   `json:"-" db:"vt_support_before"`
	VTSupportUnknown bool           `json:"-" db:"vt_support_unknown"`
	Reachable        bool           `json:"reachable" db:"reachable"`
	AnnouncementsOff bool           `json:"announcements_off" db:"announcements_off"`
	CreatedAt        time.Time      `json:"first_contact" db:"created_at"`
	LastSeenAt       time.Time      `json:"last_contact" db:"last_seen_at"`
	Profile          map[string]any `json:"profile" db:"-"`
}

// ConsentRecord is one consent decision as the export shows it; with its evidence
// token the same row can be found after an erasure (ConsentEvidence).
type ConsentRecord struct {
	Purpose     string    `json:"purpose" db:"purpose"`
	Granted     bool      `json:"granted" db:"granted"`
	TextVersion string    `json:"text_version" db:"text_version"`
	TextHash    string    `json:"text_sha256,omitempty" db:"text_hash"` // empty: decided before it was kept
	Language    string    `json:"language,omitempty" db:"language"`     // empty: decided before it was kept
	Channel     string    `json:"channel,omitempty" db:"channel"`
	DecidedAt   time.Time `json:"decided_at" db:"decided_at"`
	Evidence    string    `json:"evidence_token" db:"evidence"`
}

type exportCase struct {
	ID              int64           `json:"number" db:"id"`
	Kind            string          `json:"kind" db:"kind"`
	Status          string          `json:"status" db:"status"`
	CommuneCode     sql.NullString  `json:"-" db:"commune_code"`
	CommuneName     sql.NullString  `json:"-" db:"commune_name"`
	Answers         json.RawMessage `json:"answers" db:"answers"`
	CourseTitle     sql.NullString  `json:"-" db:"course_title"`
	OpenedAt        time.Time       `json:"opened_at" db:"opened_at"`
	FirstResponseAt *time.Time      `json:"first_answer_at,omitempty" db:"first_response_at"`
	ClosedAt        *time.Time      `json:"closed_at,omitempty" db:"closed_at"`
	Outcome         sql.NullString  `json:"-" db:"outcome"`
	Rating          sql.NullInt64   `json:"-" db:"rating"`
	Counsellor      sql.NullString  `json:"-" db:"counsellor"`
	Extra           map[string]any  `json:"details" db:"-"`
	Events          []exportEvent   `json:"messages_and_changes" db:"-"`
}

type exportEvent struct {
	CaseID     int64          `json:"-" db:"case_id"`
	At         time.Time      `json:"at" db:"at"`
	Actor      string         `json:"from" db:"actor"`
	Kind       string         `json:"kind" db:"kind"`
	Body       sql.NullString `json:"-" db:"body"`
	Media      sql.NullString `json:"-" db:"media"`
	StaffName  sql.NullString `json:"-" db:"staff_name"`
	Text       *string        `json:"text,omitempty" db:"-"`
	Attachment *string        `json:"attachment,omitempty" db:"-"`
	Counsellor *string        `json:"counsellor,omitempty" db:"-"`
}

type exportAppointment struct {
	Status      string         `json:"status" db:"status"`
	Day         string         `json:"day" db:"day"`
	StartsAt    string         `json:"starts_at" db:"starts_at"`
	EndsAt      string         `json:"ends_at" db:"ends_at"`
	Place       string         `json:"place" db:"place"`
	CommuneName sql.NullString `json:"-" db:"commune_name"`
	Commune     string         `json:"commune" db:"-"`
	BookedAt    time.Time      `json:"booked_at" db:"created_at"`
	CancelledAt *time.Time     `json:"cancelled_at,omitempty" db:"cancelled_at"`
}

type exportConversation struct {
	Flow    string          `json:"flow" db:"flow"`
	State   string          `json:"step" db:"state"`
	Answers json.RawMessage `json:"answers_so_far" db:"data"`
}

func setIf[T any](m map[string]any, k string, ok bool, v T) {
	if ok {
		m[k] = v
	}
}

// ExportPerson gathers everything stored about a person (for /mydata).
func (tx *Tx) ExportPerson(ctx context.Context, personID int64, at time.Time) (domain.DataExport, error) {
	e, err := tx.exportPerson(ctx, personID, at)
	if err != nil {
		return domain.DataExport{}, err
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return domain.DataExport{}, fmt.Errorf("encoding export of %d: %w", personID, err)
	}
	out := domain.DataExport{JSON: b, Cases: len(e.Cases), Appointments: len(e.Appointments)}
	for _, c := range e.Cases {
		for _, ev := range c.Events {
			if ev.Kind == "message" {
				out.Messages++
			}
		}
	}
	return out, nil
}

func (tx *Tx) exportPerson(ctx context.Context, personID int64, at time.Time) (Export, error) {
	e := Export{ExportedAt: at.UTC(), Consents: []ConsentRecord{}, Cases: []exportCase{}, Appointments: []exportAppointment{}}
	p := &e.Person
	err := tx.X.GetContext(ctx, p, `
SELECT p.channel, p.external_id, p.language, p.full_name, p.birth_year, p.gender, p.phone, p.commune_code,
       c.name AS commune_name, to_char(p.sentence_end, 'MM/YYYY') AS sentence_end, p.education,
       p.vt_support_before, p.vt_support_unknown, p.reachable, p.announcements_off, p.created_at, p.last_seen_at
  FROM people p LEFT JOIN communes c ON c.code = p.commune_code WHERE p.id = $1`, personID)
	if err != nil {
		return e, fmt.Errorf("exporting person %d: %w", personID, notFound(err))
	}
	p.Profile = map[string]any{}
	setIf(p.Profile, "full_name", p.FullName.Valid, p.FullName.String)
	setIf(p.Profile, "birth_year", p.BirthYear.Valid, p.BirthYear.Int64)
	setIf(p.Profile, "gender", p.Gender.Valid, p.Gender.String)
	setIf(p.Profile, "phone", p.Phone.Valid, p.Phone.String)
	setIf(p.Profile, "commune_code", p.CommuneCode.Valid, p.CommuneCode.String)
	setIf(p.Profile, "commune", p.CommuneName.Valid, p.CommuneName.String)
	setIf(p.Profile, "month_came_back", p.SentenceEnd.Valid, p.SentenceEnd.String)
	setIf(p.Profile, "education", p.Education.Valid, p.Education.String)
	setIf(p.Profile, "vocational_support_before", p.VTSupportBefore.Valid, p.VTSupportBefore.Bool)
	setIf(p.Profile, "vocational_support_before", p.VTSupportUnknown, "not sure")

	if err := tx.X.SelectContext(ctx, &e.Consents, `
SELECT `+consentColumns+` FROM consents WHERE person_id = $1 ORDER BY decided_at, id`, personID); err != nil {
		return e, fmt.Errorf("exporting consents of %d: %w", personID, err)
	}
	if err := tx.X.SelectContext(ctx, &e.Cases, `
SELECT c.id, c.kind, c.status, c.commune_code, m.name AS commune_name, c.answers, k.title AS course_title,
       c.opened_at, c.first_response_at, c.closed_at, c.outcome, c.rating, s.display_name AS counsellor
  FROM cases c
  LEFT JOIN communes m ON m.code = c.commune_code
  LEFT JOIN courses k ON k.id = c.course_id
  LEFT JOIN staff s ON s.id = c.assignee_staff_id
 WHERE c.person_id = $1 ORDER BY c.id`, personID); err != nil {
		return e, fmt.Errorf("exporting cases of %d: %w", personID, err)
	}
	var events []exportEvent
	if err := tx.X.SelectContext(ctx, &events, `
SELECT e.case_id, e.at, e.actor, e.kind, e.body, e.media, s.display_name AS staff_name
  FROM case_events e JOIN cases c ON c.id = e.case_id LEFT JOIN staff s ON s.id = e.staff_id
 WHERE c.person_id = $1 AND e.actor <> 'system' AND e.kind <> 'note'
 ORDER BY e.case_id, e.id`, personID); err != nil {
		return e, fmt.Errorf("exporting messages of %d: %w", personID, err)
	}
	byCase := map[int64][]exportEvent{}
	for _, ev := range events {
		if ev.Actor == "returnee" {
			ev.Actor = "you"
		} else {
			ev.Actor = "counsellor"
		}
		if ev.Body.Valid {
			ev.Text = &ev.Body.String
		}
		if ev.Media.Valid {
			ev.Attachment = &ev.Media.String
		}
		if ev.StaffName.Valid {
			ev.Counsellor = &ev.StaffName.String
		}
		byCase[ev.CaseID] = append(byCase[ev.CaseID], ev)
	}
	for i := range e.Cases {
		c := &e.Cases[i]
		c.Extra = map[string]any{}
		setIf(c.Extra, "commune", c.CommuneName.Valid, c.CommuneName.String)
		setIf(c.Extra, "course", c.CourseTitle.Valid, c.CourseTitle.String)
		setIf(c.Extra, "outcome", c.Outcome.Valid, c.Outcome.String)
		setIf(c.Extra, "your_rating", c.Rating.Valid, c.Rating.Int64)
		setIf(c.Extra, "counsellor", c.Counsellor.Valid, c.Counsellor.String)
		c.Events = byCase[c.ID]
		if c.Events == nil {
			c.Events = []exportEvent{}
		}
	}
	if err := tx.X.SelectContext(ctx, &e.Appointments, `
SELECT a.status, to_char(d.day, 'YYYY-MM-DD') AS day, to_char(d.starts_at, 'HH24:MI') AS starts_at,
       to_char(d.ends_at, 'HH24:MI') AS ends_at, d.place, m.name AS commune_name, a.created_at, a.cancelled_at
  FROM appointments a JOIN loan_days d ON d.id = a.loan_day_id LEFT JOIN communes m ON m.code = d.commune_code
 WHERE a.person_id = $1 ORDER BY a.id`, personID); err != nil {
		return e, fmt.Errorf("exporting appointments of %d: %w", personID, err)
	}
	for i := range e.Appointments {
		e.Appointments[i].Commune = e.Appointments[i].CommuneName.String
	}
	var conv exportConversation
	err = tx.X.GetContext(ctx, &conv, `SELECT flow, state, data FROM conversations WHERE person_id = $1`, personID)
	switch {
	case err == nil:
		if conv.Flow != "" && conv.Flow != "menu" {
			e.Conversation = &conv
		}
	case notFound(err) != ErrNotFound:
		return e, fmt.Errorf("exporting conversation of %d: %w", personID, err)
	}
	return e, nil
}

// ErasePerson erases a person's personal data at their request (/delete).
// See erase.
func (tx *Tx) ErasePerson(ctx context.Context, personID int64, at time.Time) error {
	_, err := tx.erase(ctx, personID, at, "returnee")
	return err
}

// Erased says what an erasure did.
type Erased struct {
	Anonymous   int64   // the anonymous record now holding the cases, 0 if none was needed
	Cases       []int64 // cases moved to it
	ClosedCases []int64 // of which were open and are now closed
}

// erase removes a person's personal data and keeps the anonymous figures:
//
//   - an anonymous record (channel 'erased', no name, no account) takes the
//     month of first contact and the commune, for the registration count;
//   - the cases and appointments move to it; open cases close with outcome
//     data_erased, future booked appointments are cancelled (the place is
//     freed); answers are emptied but for a job case's trade codes (a
//     closed list, for the job-needs figures); every message and note body,
//     attachment reference and pending relay of the cases is dropped; the
//     cases take new numbers and the bot's messages about them outside
//     their topics are set aside for deletion (groups.go);
//   - the consent decisions are kept as evidence but unlinked (no person,
//     and the person's evidence token forgotten: only the token in their
//     own earlier export finds them again); the conversation is deleted,
//     and the Telegram account
//     is removed from refused-command lines of the audit log;
//   - the person's own row keeps only the account (the chat goes on) and
//     is otherwise blank, as a new contact from now on.
//
// The person's topic in the staff group is told the case closed.
func (tx *Tx) erase(ctx context.Context, personID int64, at time.Time, why string) (Erased, error) {
	var out Erased
	var p struct {
		Channel     string         `db:"channel"`
		ExternalID  string         `db:"external_id"`
		CreatedAt   time.Time      `db:"created_at"`
		CommuneCode sql.NullString `db:"commune_code"`
		ErasedAt    sql.NullTime   `db:"erased_at"`
	}
	if err := tx.X.GetContext(ctx, &p, `SELECT channel, external_id, created_at, commune_code, erased_at FROM people WHERE id = $1 FOR UPDATE`, personID); err != nil {
		return out, fmt.Errorf("erasing person %d: %w", personID, notFound(err))
	}
	if p.ErasedAt.Valid {
		return out, nil // already an anonymous record
	}
	if err := lockPlanning(ctx, tx); err != nil { // groups.go
		return out, err
	}
	fail := func(what string, err error) (Erased, error) {
		return out, fmt.Errorf("erasing person %d: %s: %w", personID, what, err)
	}
	var held bool
	if err := tx.X.GetContext(ctx, &held, `
SELECT EXISTS (SELECT 1 FROM cases WHERE person_id = $1) OR EXISTS (SELECT 1 FROM appointments WHERE person_id = $1)`, personID); err != nil {
		return fail("checking cases", err)
	}
	if held || p.CommuneCode.Valid {
		if err := tx.X.GetContext(ctx, &out.Anonymous, `
INSERT INTO people (channel, external_id, chat_ref, language, commune_code, created_at, last_seen_at, reachable, erased_at)
VALUES ($1, 'erased-' || gen_random_uuid(), '', 'vi', $2, $3, $4, false, $4) RETURNING id`,
			ChannelErased, p.CommuneCode, p.CreatedAt, at); err != nil {
			return fail("adding the anonymous record", err)
		}
	}
	if err := tx.X.SelectContext(ctx, &out.ClosedCases, `
UPDATE cases SET status = 'closed', outcome = $2, closed_at = $3, updated_at = $3
 WHERE person_id = $1 AND status <> 'closed' RETURNING id`, personID, OutcomeErased, at); err != nil {
		return fail("closing cases", err)
	}
	if err := tx.X.SelectContext(ctx, &out.Cases, `
UPDATE cases SET person_id = $2,
       answers = CASE WHEN kind = 'job' THEN jsonb_build_object(
           'trades', (SELECT COALESCE(jsonb_agg(t), '[]') FROM jsonb_array_elements_text(
                        CASE WHEN jsonb_typeof(answers->'trades') = 'array' THEN answers->'trades' ELSE '[]' END) t
                      WHERE t = ANY($3)),
           'other_trade', COALESCE(answers->>'trades_other', '') <> '' OR COALESCE(answers->>'other_trade', '') = 'true')
         ELSE '{}' END
 WHERE person_id = $1 RETURNING id`, personID, out.Anonymous, pq.Array(domain.Trades())); err != nil {
		return fail("moving cases", err)
	}
	if len(out.Cases) > 0 {
		if _, err := tx.X.ExecContext(ctx, `
UPDATE case_events SET body = NULL, media = NULL, src_chat_id = NULL, src_msg_id = NULL, media_ref = NULL, media_name = NULL,
       relay_error = CASE WHEN relay_to IS NOT NULL AND relayed_at IS NULL AND relay_error IS NULL THEN 'erased' ELSE relay_error END
 WHERE case_id = ANY($1)`, pq.Array(out.Cases)); err != nil {
			return fail("dropping messages", err)
		}
		// A desk action not yet posted in the topic would post an emptied
		// message: it is dropped like an unsent relay.
		if _, err := tx.X.ExecContext(ctx, `UPDATE desk_mirror SET error = 'erased' WHERE case_id = ANY($1) AND posted_at IS NULL AND error IS NULL`, pq.Array(out.Cases)); err != nil {
			return fail("dropping desk posts", err)
		}
		if _, err := tx.X.ExecContext(ctx, `UPDATE staff SET private_case_id = NULL WHERE private_case_id = ANY($1)`, pq.Array(out.Cases)); err != nil {
			return fail("releasing cases", err)
		}
		// Messages about the cases outside their topics go too (groups.go),
		// and the cases take new numbers.
		if err := tx.erasePosts(ctx, out.Cases, at); err != nil {
			return fail("posts", err)
		}
		var err error
		if out.Cases, out.ClosedCases, err = tx.renumber(ctx, out.Cases, out.ClosedCases); err != nil {
			return fail("renumbering", err)
		}
		if _, err := tx.X.ExecContext(ctx, `
INSERT INTO case_events (case_id, at, actor, kind, body, relay_to)
SELECT id, $2, 'system', 'notice', 'topic_case_erased', 'topic' FROM cases WHERE id = ANY($1) AND topic_thread_id IS NOT NULL`,
			pq.Array(out.Cases), at); err != nil {
			return fail("telling the counsellors", err)
		}
		if _, err := tx.X.ExecContext(ctx, `
INSERT INTO audit_log (at, action, case_id, detail) SELECT $2, 'person_erased', id, $3 FROM unnest($1::bigint[]) id`,
			pq.Array(out.Cases), at, why); err != nil {
			return fail("auditing", err)
		}
	}
	if _, err := tx.X.ExecContext(ctx, `
UPDATE appointments a SET status = 'cancelled', cancelled_at = $2
  FROM loan_days d
 WHERE a.person_id = $1 AND a.status = 'booked' AND d.id = a.loan_day_id AND d.day >= CAST($2 AS timestamptz)::date`, personID, at); err != nil {
		return fail("cancelling appointments", err)
	}
	if _, err := tx.X.ExecContext(ctx, `UPDATE appointments SET person_id = $2 WHERE person_id = $1`, personID, out.Anonymous); err != nil {
		return fail("moving appointments", err)
	}
	if _, err := tx.X.ExecContext(ctx, `UPDATE consents SET person_id = NULL WHERE person_id = $1`, personID); err != nil {
		return fail("unlinking consents", err)
	}
	if _, err := tx.X.ExecContext(ctx, `DELETE FROM conversations WHERE person_id = $1`, personID); err != nil {
		return fail("deleting the conversation", err)
	}
	// The inbox's handled rows name the person's address on their channel
	// (what they wrote was dropped at handling).
	if _, err := tx.X.ExecContext(ctx, `DELETE FROM inbox WHERE channel = $1 AND address = $2 AND handled_at IS NOT NULL`, p.Channel, p.ExternalID); err != nil {
		return fail("clearing the inbox", err)
	}
	if err := eraseWebChat(ctx, tx, p.Channel, p.ExternalID); err != nil {
		return fail("clearing the web chat", err)
	}
	if err := eraseZalo(ctx, tx, p.Channel, p.ExternalID); err != nil {
		return fail("clearing the Zalo window", err)
	}
	if err := eraseFileLinks(ctx, tx, personID); err != nil { // file_links.go
		return fail("deleting linked files", err)
	}
	if p.Channel == "telegram" {
		if id, err := strconv.ParseInt(p.ExternalID, 10, 64); err == nil {
			if _, err := tx.X.ExecContext(ctx, `UPDATE audit_log SET telegram_user_id = NULL WHERE staff_id IS NULL AND telegram_user_id = $1`, id); err != nil {
				return fail("clearing the audit log", err)
			}
		}
	}
	if _, err := tx.X.ExecContext(ctx, `
UPDATE people SET full_name = NULL, birth_year = NULL, gender = NULL, phone = NULL, commune_code = NULL,
       sentence_end = NULL, education = NULL, vt_support_before = NULL, vt_support_unknown = false, off_hours_notice_at = NULL,
       unreachable_why = NULL, evidence_token = NULL, created_at = $2
 WHERE id = $1`, personID, at); err != nil {
		return fail("blanking the profile", err)
	}
	return out, nil
}
