// Package domain holds the service's nouns: people's consents and
// profiles, communes, courses, loan days, cases and conversations as the
// store keeps them. The conversations (flows), the store and the
// messengers all speak of them; it imports none of them.
package domain

import (
	"encoding/json"
	"slices"
	"time"
)

// Purpose is one thing a person can consent to, separately.
type Purpose string

const (
	PurposeJob           Purpose = "job"           // job counselling and placement
	PurposeTraining      Purpose = "training"      // vocational training
	PurposeLoan          Purpose = "loan"          // loan referral to the Bank for Social Policies
	PurposeOther         Purpose = "other"         // a counsellor's help with anything else: papers, health, family
	PurposeAnnouncements Purpose = "announcements" // news of job fairs, courses, loan days
)

// Purposes lists every purpose in the order they are shown.
var Purposes = []Purpose{PurposeJob, PurposeTraining, PurposeLoan, PurposeOther, PurposeAnnouncements}

// ConsentTextVersion names the release of the catalogs the consent texts
// come from (where to read the words again). It stays one label for every
// text and language on purpose: what exactly a person read is named by
// Consent.TextHash, the SHA-256 of the rendered text, which differs per
// text, language and configured value (controller, months) and cannot be
// forgotten the way a hand-kept version per text can. A test pins the
// texts' hashes to this label, so a change of wording without a new label
// fails (flows/consent_texts_test.go).
const ConsentTextVersion = "2026-12-v4"

// Consent is one recorded decision.
type Consent struct {
	PersonID    int64
	Purpose     Purpose
	Granted     bool
	TextVersion string
	// TextHash is the hex SHA-256 of the text the person answered, as
	// rendered in their language with the configured values.
	TextHash string
	Lang     string // the language the text was shown in
	At       time.Time
}

// Profile holds the person's answers that every flow reuses. Empty strings,
// zero numbers and nil pointers are unanswered.
type Profile struct {
	FullName    string
	BirthYear   int
	Gender      string // male, female, other, unspecified
	Phone       string // E.164, +84...
	CommuneCode string
	CommuneName string // read only, from communes
	SentenceEnd *time.Time
	Education   string
	// VTSupportBefore answers "have you had state-funded vocational
	// training support before?", asked once.
	VTSupportBefore *bool
	// VTSupportUnknown: the person answered "not sure"; not asked again.
	VTSupportUnknown bool
}

// Commune is a commune or ward.
type Commune struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	FullName     string `json:"full_name"`
	Type         string `json:"type"` // commune or ward
	ProvinceCode string `json:"province_code"`
	Active       bool   `json:"active"`
}

// CommuneMatch is a commune found by a search, and how: by its own name, by
// the name of a unit merged into it in 2025 (Former*), or as a unit of the
// former district the query names (District only).
type CommuneMatch struct {
	Commune
	FormerName     string // "Đình Bảng"
	FormerType     string // ward, commune or township
	FormerDistrict string // "Thành phố Từ Sơn"
}

// Course is one short vocational course.
type Course struct {
	ID            int64
	Trade         string
	Title         string
	Provider      string
	CommuneCode   string
	CommuneName   string
	StartDate     time.Time
	LengthValue   int
	LengthUnit    string // day or week
	FeeVND        int64
	Support       GroupSupport // estimated support per learner group
	Certificate   string
	SeatsTotal    int
	SeatsTaken    int
	EnrolDeadline time.Time
	Active        bool
	Sample        bool
}

// CourseFilter selects open courses: deadline on or after Today, seats
// left, active; Trade and CommuneCode empty mean any.
type CourseFilter struct {
	Trade       string
	CommuneCode string
	Today       time.Time
}

// LoanDay is a commune's bank transaction day.
type LoanDay struct {
	ID          int64
	CommuneCode string
	Day         time.Time // date only
	Place       string
	StartsAt    string // "07:30"
	EndsAt      string
	Capacity    int
	Booked      int
	Sample      bool
}

// CaseDraft is a finished request to be opened as a case, or to replace
// the answers of the person's open case of the same kind.
type CaseDraft struct {
	PersonID      int64
	Kind          string
	CommuneCode   string
	Answers       json.RawMessage
	CourseID      *int64
	AppointmentID *int64
	At            time.Time
}

// OpenCase is what the flows need to know about a person's open case.
type OpenCase struct {
	ID            int64
	Kind          string
	AppointmentID *int64
	LoanDayID     *int64
}

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

// CaseRef names a case an input opened or updated.
type CaseRef struct {
	ID      int64
	Kind    string // job, course, loan, other
	Created bool   // false: an open case of that kind was updated
}

// DataExport is everything stored about a person, as a JSON document,
// with counts for the message that goes with it.
type DataExport struct {
	JSON         []byte
	Cases        int
	Appointments int
	Messages     int
}

// Trades lists the trade codes of job needs and courses, in the order offered.
func Trades() []string { return slices.Clone(trades) }

var trades = []string{"factory", "garment", "construction", "mechanic", "electric", "driver", "farming", "cooking", "repair", "sales"}
