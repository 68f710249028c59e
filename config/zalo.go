package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Zalo is the Zalo Official Account channel's settings (ZALO_*). The
// channel is off while ZALO_OA_ID is empty.
type Zalo struct {
	OAID, AppID, AppSecret, OASecret string
	APIURL, OAuthURL, ZNSURL         string
	// Approved ZNS templates for messages outside Zalo's 48 h window.
	CareTemplate, ReminderTemplate, AnnounceTemplate string
	// AllowedFrom, AllowedTo: the hours (TIME_ZONE) in which templates
	// other than transactions may go.
	AllowedFrom, AllowedTo int
	// PaidMonthlyCap bounds the paid sends (ZNS) a calendar month.
	PaidMonthlyCap int
}

// Enabled reports whether an OA is configured.
func (z Zalo) Enabled() bool { return z.OAID != "" }

var zaloVars = []Var{
	{"ZALO_OA_ID", "", "The Zalo Official Account's id; empty leaves the Zalo channel off."},
	{"ZALO_APP_ID", "", "Id of the Zalo app (developers.zalo.me) the OA granted access to; required with ZALO_OA_ID."},
	{"ZALO_APP_SECRET", "", "The Zalo app's secret key, for OAuth (connecting the OA, refreshing its token); required with ZALO_OA_ID."},
	{"ZALO_OA_SECRET", "", "The OA's secret key, with which Zalo signs webhook events (X-ZEvent-Signature); required with ZALO_OA_ID."},
	{"ZALO_API_URL", "https://openapi.zalo.me", "Zalo's OA Open API (the demo points it at the test server)."},
	{"ZALO_OAUTH_URL", "https://oauth.zaloapp.com", "Zalo's OAuth v4 server."},
	{"ZALO_ZNS_URL", "https://business.openapi.zalo.me", "Zalo Notification Service (template messages to a phone)."},
	{"ZALO_ZNS_CARE_TEMPLATE", "", "Id of an approved ZNS customer-care template whose parameter 'message' carries a counsellor's answer or a follow-up outside Zalo's 48 h window; empty: those are reported as not delivered."},
	{"ZALO_ZNS_REMINDER_TEMPLATE", "", "Id of an approved ZNS transaction template (sent at any hour) for loan-day and course reminders outside the window."},
	{"ZALO_ZNS_ANNOUNCE_TEMPLATE", "", "Id of an approved ZNS template for announcements outside the window; empty: announcements reach only people inside it."},
	{"ZALO_ZNS_HOURS", "06-22", "Hours (TIME_ZONE) in which ZNS templates other than transactions may go, from-to."},
	{"ZALO_PAID_MONTHLY_CAP", "1000", "Paid Zalo messages (ZNS) a calendar month across the OA; past it, messages outside the window are reported as not delivered. 0 sends none."},
}

func init() {
	Vars = append(Vars, zaloVars...)
	secrets = append(secrets, "ZALO_APP_SECRET", "ZALO_OA_SECRET")
}

var zaloHoursRe = regexp.MustCompile(`^([0-9]{1,2})-([0-9]{1,2})$`)

// loadZalo reads the ZALO_* variables; it returns what is wrong, each
// naming the variable.
func (c *Config) loadZalo(val func(string) string) []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	z := Zalo{
		OAID: val("ZALO_OA_ID"), AppID: val("ZALO_APP_ID"), AppSecret: val("ZALO_APP_SECRET"), OASecret: val("ZALO_OA_SECRET"),
		APIURL: strings.TrimRight(val("ZALO_API_URL"), "/"), OAuthURL: strings.TrimRight(val("ZALO_OAUTH_URL"), "/"), ZNSURL: strings.TrimRight(val("ZALO_ZNS_URL"), "/"),
		CareTemplate: val("ZALO_ZNS_CARE_TEMPLATE"), ReminderTemplate: val("ZALO_ZNS_REMINDER_TEMPLATE"), AnnounceTemplate: val("ZALO_ZNS_ANNOUNCE_TEMPLATE"),
	}
	if z.OAID != "" {
		for _, name := range []string{"ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET"} {
			if val(name) == "" {
				bad(name, "is required with ZALO_OA_ID")
			}
		}
	}
	for _, name := range []string{"ZALO_API_URL", "ZALO_OAUTH_URL", "ZALO_ZNS_URL"} {
		if u, err := url.Parse(val(name)); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(name, "must be an http(s) URL, got %q", val(name))
		}
	}
	m := zaloHoursRe.FindStringSubmatch(val("ZALO_ZNS_HOURS"))
	if m != nil {
		z.AllowedFrom, _ = strconv.Atoi(m[1])
		z.AllowedTo, _ = strconv.Atoi(m[2])
	}
	if m == nil || z.AllowedFrom >= z.AllowedTo || z.AllowedTo > 24 {
		bad("ZALO_ZNS_HOURS", "must be from-to in whole hours, e.g. 06-22, got %q", val("ZALO_ZNS_HOURS"))
	}
	var err error
	if z.PaidMonthlyCap, err = strconv.Atoi(val("ZALO_PAID_MONTHLY_CAP")); err != nil || z.PaidMonthlyCap < 0 {
		bad("ZALO_PAID_MONTHLY_CAP", "must be a whole number of messages, 0 or more")
	}
	c.Zalo = z
	return errs
}
