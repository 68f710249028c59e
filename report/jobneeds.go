package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"reentrybot/store"
)

// jobNeedColumns are the export's columns in the order of the Employment
// Service Centre's register of job seekers (the labour-supply fields of
// Circular 01/2022/TT-BLĐTBXH), as catalog keys of their headers.
var jobNeedColumns = []string{
	"jn_col_no", "jn_col_name", "jn_col_birth_year", "jn_col_gender", "jn_col_phone",
	"jn_col_commune_code", "jn_col_commune", "jn_col_education", "jn_col_qualification",
	"jn_col_status", "jn_col_trades", "jn_col_where", "jn_col_hours", "jn_col_wage",
	"jn_col_start", "jn_col_abroad", "jn_col_priority", "jn_col_registered", "jn_col_case",
}

// JobNeedsCSV writes the job needs as UTF-8 CSV with a byte-order mark, one
// row per need in the Centre's column order; answers are spelled out in
// lang and dates are in loc.
func JobNeedsCSV(w io.Writer, needs []store.JobNeed, l Labels, lang string, loc *time.Location) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(jobNeedColumns))
	for i, k := range jobNeedColumns {
		head[i] = l.T(lang, k, nil)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	label := func(prefix, v string) string {
		if v == "" {
			return ""
		}
		return l.T(lang, prefix+v, map[string]any{"On": false})
	}
	labels := func(prefix string, vs []string) string {
		out := make([]string, 0, len(vs))
		for _, v := range vs {
			out = append(out, label(prefix, v))
		}
		return strings.Join(out, "; ")
	}
	for i, n := range needs {
		trades := labels("trade_", n.Trades)
		if n.TradesOther != "" && trades != "" {
			trades += "; " + n.TradesOther
		} else if n.TradesOther != "" {
			trades = n.TradesOther
		}
		year := ""
		if n.BirthYear.Valid {
			year = strconv.FormatInt(n.BirthYear.Int64, 10)
		}
		rec := []string{
			strconv.Itoa(i + 1), n.FullName.String, year, label("gender_", n.Gender.String), nationalPhone(n.Phone.String),
			n.CommuneCode.String, n.CommuneName.String, label("edu_", n.Education.String), label("qual_", n.Qualification),
			label("work_status_", n.Status), trades, label("where_", n.Where), label("hours_", n.Hours), label("wage_", n.Wage),
			label("start_", n.Start), label("abroad_", n.Abroad), labels("priority_", n.Priority),
			n.OpenedAt.In(loc).Format("02/01/2006"), strconv.FormatInt(n.CaseID, 10),
		}
		for j, s := range rec {
			rec[j] = cellText(s)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// nationalPhone writes +84… as 0…, the way the Centre files numbers (and
// so a spreadsheet does not read it as a formula or a number).
func nationalPhone(e164 string) string {
	if rest, ok := strings.CutPrefix(e164, "+84"); ok {
		return "0" + rest
	}
	return e164
}

// cellText keeps typed text from being run as a spreadsheet formula.
func cellText(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
