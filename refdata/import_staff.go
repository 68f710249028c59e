package refdata

import (
	"context"
	"io"
	"strings"
	"time"

	"reentrybot/store"
)

var staffColumns = []string{"role", "communes", "display_name"}

// StaffRecord is a staff member to invite, from a file.
type StaffRecord struct {
	Role        store.Role
	Communes    []string // empty: province-wide
	DisplayName string
	Line        int
}

// ParseStaffFile reads a staff file: role (admin, counsellor or officer),
// communes (codes separated by spaces or semicolons, or "all" for
// province-wide; officers need codes) and display_name (shown to
// returnees).
func ParseStaffFile(r io.Reader) ([]StaffRecord, error) {
	s := readSheet(r, staffColumns, nil)
	var out []StaffRecord
	for i, row := range s.rows {
		l := s.lines[i]
		rec := StaffRecord{Line: l,
			Role:        store.Role(s.oneOf(l, row, "role", []string{"admin", "counsellor", "officer"})),
			DisplayName: s.text(l, row, "display_name", 1, 64),
		}
		switch c := strings.ToLower(row["communes"]); {
		case c == "all":
			if rec.Role == store.RoleOfficer {
				s.bad(l, "communes", ProbOfficerAll, nil)
			}
		case c == "":
			s.bad(l, "communes", ProbCommunesEmpty, nil)
		default:
			for _, code := range strings.FieldsFunc(c, func(r rune) bool { return r == ' ' || r == ';' || r == ',' }) {
				if code == "" || len(code) > 10 || strings.Trim(code, "0123456789") != "" {
					s.bad(l, "communes", ProbNotCommuneCode, args{"Value": quoted(code)})
				}
				rec.Communes = append(rec.Communes, code)
			}
		}
		out = append(out, rec)
	}
	if len(s.probs) > 0 {
		return nil, s.probs
	}
	return out, nil
}

// Invited is a staff record made by ImportStaff, with its one-time code.
type Invited struct {
	StaffRecord
	ID   int64
	Code string
}

// ImportStaff creates a staff record and a one-time invitation for every
// row, in one transaction, once every commune is known and active.
// newCode returns a fresh code and the hash stored for it.
func ImportStaff(ctx context.Context, db *store.DB, recs []StaffRecord, expires time.Time, newCode func() (string, []byte)) ([]Invited, error) {
	var out []Invited
	err := db.InTx(ctx, func(tx *store.Tx) error {
		out = nil
		communes, err := communeState(ctx, tx)
		if err != nil {
			return err
		}
		var probs Problems
		for _, r := range recs {
			for _, c := range r.Communes {
				probs = communeProblem(probs, communes, r.Line, "communes", c, true)
			}
		}
		if len(probs) > 0 {
			return probs
		}
		for _, r := range recs {
			code, hash := newCode()
			id, err := tx.AddInvite(ctx, r.Role, r.Communes, r.DisplayName, hash, expires)
			if err != nil {
				return err
			}
			out = append(out, Invited{StaffRecord: r, ID: id, Code: code})
		}
		return nil
	})
	return out, err
}
