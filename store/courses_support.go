package store

import (
	"context"
	"encoding/json"
	"fmt"

	"reentrybot/domain"
)

// groupSupportCols are a course's support columns, one per learner group
// in domain.LearnerGroups order (migration 00131).
type groupSupportCols struct {
	SupportDisability         int64 `db:"support_disability_vnd"`
	SupportPoorEthnicMinority int64 `db:"support_poor_ethnic_minority_vnd"`
	SupportEthnicMinority     int64 `db:"support_ethnic_minority_vnd"`
	SupportPoor               int64 `db:"support_poor_vnd"`
	SupportNearPoor           int64 `db:"support_near_poor_vnd"`
	SupportOther              int64 `db:"support_other_vnd"`
}

const supportColsSQL = `support_disability_vnd, support_poor_ethnic_minority_vnd, support_ethnic_minority_vnd,
       support_poor_vnd, support_near_poor_vnd, support_other_vnd`

// Support returns the per-group figures as domain.GroupSupport.
func (c groupSupportCols) Support() domain.GroupSupport {
	return domain.GroupSupport{c.SupportDisability, c.SupportPoorEthnicMinority, c.SupportEthnicMinority,
		c.SupportPoor, c.SupportNearPoor, c.SupportOther}
}

// SetSupport sets the per-group figures from domain.GroupSupport.
func (c *groupSupportCols) SetSupport(s domain.GroupSupport) {
	c.SupportDisability, c.SupportPoorEthnicMinority, c.SupportEthnicMinority = s[0], s[1], s[2]
	c.SupportPoor, c.SupportNearPoor, c.SupportOther = s[3], s[4], s[5]
}

// The latest job or course request in which the person answered the
// priority-group question (a course request records that it asked, since
// ticking nothing is an answer there too).
const priorityGroupsSQL = `
SELECT answers->'priority'
  FROM cases
 WHERE person_id = $1 AND kind IN ('job', 'course')
   AND (jsonb_typeof(answers->'priority') = 'array'
        OR (kind = 'course' AND answers->>'groups_asked' = 'true'))
 ORDER BY updated_at DESC, id DESC
 LIMIT 1`

// PriorityGroups returns the priority groups the person named in their
// latest job or course request that asked, and whether one did.
func (tx *Tx) PriorityGroups(ctx context.Context, personID int64) ([]string, bool, error) {
	var raw []byte
	rows, err := tx.X.QueryContext(ctx, priorityGroupsSQL, personID)
	if err != nil {
		return nil, false, fmt.Errorf("priority groups of person %d: %w", personID, err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, false, rows.Err()
	}
	if err := rows.Scan(&raw); err != nil {
		return nil, false, fmt.Errorf("priority groups of person %d: %w", personID, err)
	}
	var groups []string
	if raw != nil {
		if err := json.Unmarshal(raw, &groups); err != nil {
			return nil, false, fmt.Errorf("priority groups of person %d: %w", personID, err)
		}
	}
	return groups, true, rows.Err()
}
