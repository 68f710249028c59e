package refdata

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The 313 units in force on 30 June 2025 and the unit each went into on
// 1 July 2025 (Resolution 1658/NQ-UBTVQH15), so that a person who names
// their old commune, township or district is understood.
//
//go:embed former-communes-bac-ninh.csv
var formerCSV []byte

// The unofficial running numbers the project used before the official
// codes, each with its official code; migration 00060 carries stored data
// over with it.
//
//go:embed commune-codes-unofficial-to-official.csv
var codeMapCSV []byte

// FormerCommune is a unit before the 2025 merger. Former codes are not
// kept: in 51 units the new code had belonged to a different old unit.
type FormerCommune struct {
	Name     string // "Đình Bảng"
	Type     string // ward, commune or township
	District string // "Thành phố Từ Sơn"
	Province string // "Tỉnh Bắc Ninh"
	NewCode  string // official code of the unit it went into
	NewName  string
}

// spellings are other spellings of former names that people still type.
// ("Trạng Hạ" for "Trang Hạ" needs none: they fold alike.)
var spellings = map[string]string{"Sa Lý": "Xa Lý"}

// OtherSpelling returns an older spelling of the unit's name, or "".
func (f FormerCommune) OtherSpelling() string { return spellings[f.Name] }

// DistrictName is the former district without "Huyện", "Thành phố" or
// "Thị xã": "Lục Nam", the name people say.
func (f FormerCommune) DistrictName() string {
	for _, p := range []string{"Huyện ", "Thành phố ", "Thị xã "} {
		if rest, ok := strings.CutPrefix(f.District, p); ok {
			return rest
		}
	}
	return f.District
}

// FormerCommunes returns the embedded list of former units.
func FormerCommunes() ([]FormerCommune, error) {
	recs, err := readCSV(formerCSV, "former communes", "former_name", "former_type", "former_district", "former_province", "new_code", "new_name")
	if err != nil {
		return nil, err
	}
	out := make([]FormerCommune, len(recs))
	for i, r := range recs {
		out[i] = FormerCommune{Name: r[0], Type: r[1], District: r[2], Province: r[3], NewCode: r[4], NewName: r[5]}
		switch {
		case r[1] != "ward" && r[1] != "commune" && r[1] != "township":
			return nil, fmt.Errorf("former communes: row %d: type %q", i+2, r[1])
		case !digits(r[4]) || len(r[4]) != 5:
			return nil, fmt.Errorf("former communes: row %d: new code %q", i+2, r[4])
		}
	}
	return out, nil
}

// CodeChange maps one unofficial code to the official one.
type CodeChange struct{ Old, New, Name, Type string }

// UnofficialCodes returns the unofficial codes with their official ones.
func UnofficialCodes() ([]CodeChange, error) {
	recs, err := readCSV(codeMapCSV, "commune code map", "vngeo_code", "official_code", "name", "type")
	if err != nil {
		return nil, err
	}
	out := make([]CodeChange, len(recs))
	for i, r := range recs {
		if !digits(r[0]) || !digits(r[1]) {
			return nil, fmt.Errorf("commune code map: row %d: codes %q, %q", i+2, r[0], r[1])
		}
		out[i] = CodeChange{Old: r[0], New: r[1], Name: r[2], Type: r[3]}
	}
	return out, nil
}

// readCSV reads an embedded file with the given header, NFC-normalised.
func readCSV(b []byte, what string, header ...string) ([][]string, error) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = len(header)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", what, err)
	}
	if strings.Join(head, ",") != strings.Join(header, ",") {
		return nil, fmt.Errorf("%s: header %v, want %v", what, head, header)
	}
	var out [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(norm.NFC.String(rec[i]))
		}
		out = append(out, rec)
	}
}
