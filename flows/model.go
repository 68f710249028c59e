package flows

import (
	"context"
	"encoding/json"
	"time"
)

// Purpose is one thing a person can consent to, separately.
type Purpose string

const (
	PurposeJob           Purpose = "job"           // job counselling and placement
	PurposeTraining      Purpose = "training"      // vocational training
	PurposeLoan          Purpose = "loan"          // loan referral to the Bank for Social Policies
	PurposeAnnouncements Purpose = "announcements" // news of job fairs, courses, loan days
)

// Purposes lists every purpose in the order they are shown.
var Purposes = []Purpose{PurposeJob, PurposeTraining, PurposeLoan, PurposeAnnouncements}

// ConsentTextVersion names the consent text the person was shown; change it
// whenever the consent_* texts change in substance.
const ConsentTextVersion = "2026-11-v1"

// Consent is one recorded decision.
type Consent struct {
	PersonID    int64
	Purpose     Purpose
	Granted     bool
	TextVersion string
	Lang        string // the language the text was shown in
	At          time.Time
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
	SupportVND    int64
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

// Store is what the flows need from storage, bound to the transaction in
// which the input is handled. *store.Tx implements it.
type Store interface {
	// Conversation returns the person's conversation, a zero one (with
	// PersonID set) when there is none.
	Conversation(ctx context.Context, personID int64) (Conversation, error)
	// SaveConversation writes c and bumps its version.
	SaveConversation(ctx context.Context, c *Conversation) error
	// SetLanguage stores the person's language.
	SetLanguage(ctx context.Context, personID int64, lang string) error

	// Consents returns the latest decision per purpose; purposes never
	// decided are absent.
	Consents(ctx context.Context, personID int64) (map[Purpose]bool, error)
	// RecordConsent appends a decision.
	RecordConsent(ctx context.Context, c Consent) error
	// CloseOnWithdrawal closes the person's open cases of kinds (their
	// consent to its purpose was withdrawn), cancels the appointments
	// they booked and tells the counsellors; it returns the cases closed.
	CloseOnWithdrawal(ctx context.Context, personID int64, kinds []string, at time.Time) ([]CaseRef, error)

	// Profile reads the person's profile.
	Profile(ctx context.Context, personID int64) (Profile, error)
	// SaveProfile writes every profile field (CommuneName is ignored).
	SaveProfile(ctx context.Context, personID int64, p Profile) error

	// FindCommunes returns the active communes whose folded name contains
	// the folded query, the units that former communes of that name went
	// into and the units of a former district of that name; best first.
	FindCommunes(ctx context.Context, folded string, limit int) ([]CommuneMatch, error)
	// Commune reads one commune; ErrNotFound-wrapping error when absent.
	Commune(ctx context.Context, code string) (Commune, error)

	// Courses lists open courses matching f, soonest start first.
	Courses(ctx context.Context, f CourseFilter) ([]Course, error)
	// Course reads one course.
	Course(ctx context.Context, id int64) (Course, error)

	// LoanDays lists up to limit transaction days of a commune on or after
	// from that still have room, soonest first.
	LoanDays(ctx context.Context, communeCode string, from time.Time, limit int) ([]LoanDay, error)
	// BookAppointment takes a place on a loan day unless the day is full
	// (ok false); two concurrent bookings cannot exceed the capacity.
	BookAppointment(ctx context.Context, personID, loanDayID int64, at time.Time) (id int64, ok bool, err error)
	// CancelAppointment frees a booked place.
	CancelAppointment(ctx context.Context, id int64, at time.Time) error

	// OpenCaseOf returns the person's open case of kind, ok false if none.
	OpenCaseOf(ctx context.Context, personID int64, kind string) (OpenCase, bool, error)
	// SaveCase opens a case or, when one of that kind is open, replaces
	// its answers; it reports which.
	SaveCase(ctx context.Context, d CaseDraft) (CaseRef, error)
}
