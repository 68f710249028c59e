package flows

import "reentrybot/domain"

// The conversations speak of the domain's nouns under their own names;
// the types live in package domain so that the store need not import the
// conversations.
type (
	Purpose      = domain.Purpose
	Consent      = domain.Consent
	Profile      = domain.Profile
	Commune      = domain.Commune
	CommuneMatch = domain.CommuneMatch
	Course       = domain.Course
	CourseFilter = domain.CourseFilter
	LoanDay      = domain.LoanDay
	CaseDraft    = domain.CaseDraft
	OpenCase     = domain.OpenCase
	CaseRef      = domain.CaseRef
	Conversation = domain.Conversation
	DataExport   = domain.DataExport
)

const (
	PurposeJob           = domain.PurposeJob
	PurposeTraining      = domain.PurposeTraining
	PurposeLoan          = domain.PurposeLoan
	PurposeOther         = domain.PurposeOther
	PurposeAnnouncements = domain.PurposeAnnouncements
	ConsentTextVersion   = domain.ConsentTextVersion
)

// Purposes lists every purpose in the order they are shown.
var Purposes = domain.Purposes

// Trades lists the trade codes of job needs and courses.
func Trades() []string { return domain.Trades() }
