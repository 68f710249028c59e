package flows

import (
	"context"
	"time"
)

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
	// PriorityGroups returns the priority groups (disability,
	// ethnic_minority, poor, near_poor) the person named in their latest
	// job or course request that asked, and whether one did.
	PriorityGroups(ctx context.Context, personID int64) ([]string, bool, error)

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
