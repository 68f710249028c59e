package botapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Every call is checked against the published Bot API specification before
// it is served: an unknown method, an unknown or missing required argument,
// or a value of the wrong type (at any depth of a JSON-serialised object)
// is answered 400 and recorded as a Violation, which NewTest turns into a
// failure of the test that made the call. The table in spec_table.go is
// generated from a machine-readable copy of the specification
// (github.com/PaulSonOfLars/telegram-bot-api-spec, api.min.json):
//
//go:generate sh -c "go run ./internal/specgen -spec \"$BOTAPI_SPEC\" -out spec_table.go"

type specField struct {
	name     string
	types    []string // alternatives: "Integer", "String", "Array of X", "InlineKeyboardMarkup"...
	required bool
}

// specTag is the field and value that mark one subtype of a union, e.g.
// BotCommandScopeChat has "type": "chat".
type specTag struct{ field, value string }

type specType struct {
	tag      specTag
	subtypes []string
	fields   []specField
}

// Violation is a call that does not follow the Bot API specification.
type Violation struct {
	Method  string
	Problem string
	At      time.Time
}

func (v Violation) String() string { return v.Method + ": " + v.Problem }

// proseRules are constraints the specification states only in prose.
var proseRules = map[string]func(obj map[string]json.RawMessage, path string) []string{
	// https://core.telegram.org/bots/api#inlinekeyboardbutton
	"InlineKeyboardButton": exactlyOne("url", "callback_data", "web_app", "login_url", "switch_inline_query",
		"switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay"),
	// https://core.telegram.org/bots/api#keyboardbutton
	"KeyboardButton": atMostOne("request_users", "request_chat", "request_managed_bot", "request_contact",
		"request_location", "request_poll", "web_app"),
}

// usedFields lists which of names obj sets; false counts as unset, since
// "pay": false and "request_contact": false ask for nothing.
func usedFields(obj map[string]json.RawMessage, names []string) []string {
	var used []string
	for _, n := range names {
		if v, ok := obj[n]; ok && string(v) != "false" {
			used = append(used, n)
		}
	}
	return used
}

func exactlyOne(names ...string) func(map[string]json.RawMessage, string) []string {
	return func(obj map[string]json.RawMessage, path string) []string {
		if used := usedFields(obj, names); len(used) != 1 {
			return []string{fmt.Sprintf("%s: exactly one of %s must be used, got %d (%s)",
				path, strings.Join(names, ", "), len(used), strings.Join(used, ", "))}
		}
		return nil
	}
}

func atMostOne(names ...string) func(map[string]json.RawMessage, string) []string {
	return func(obj map[string]json.RawMessage, path string) []string {
		if used := usedFields(obj, names); len(used) > 1 {
			return []string{fmt.Sprintf("%s: at most one of %s may be used, got %s",
				path, strings.Join(names, ", "), strings.Join(used, ", "))}
		}
		return nil
	}
}

// checkSpec returns what in a call of method breaks the specification.
func checkSpec(method string, p *params) []string {
	fields, known := specMethods[method]
	if !known {
		return []string{fmt.Sprintf("method %s is not in %s (or not served by botapitest)", method, specVersion)}
	}
	// Uploads may travel in parts named by an "attach://<name>" value.
	attached := map[string]bool{}
	for _, v := range p.vals {
		for rest := v; ; {
			_, after, found := strings.Cut(rest, "attach://")
			if !found {
				break
			}
			end := strings.IndexAny(after, "\"\\ ,}]")
			if end < 0 {
				end = len(after)
			}
			attached[after[:end]] = true
			rest = after
		}
	}
	byName := make(map[string]specField, len(fields))
	for _, f := range fields {
		byName[f.name] = f
	}
	names := make([]string, 0, len(p.vals)+len(p.files))
	for k := range p.vals {
		names = append(names, k)
	}
	for k := range p.files {
		names = append(names, k)
	}
	slices.Sort(names)
	var probs []string
	for _, name := range names {
		f, ok := byName[name]
		_, isFile := p.files[name]
		switch {
		case !ok && isFile && attached[name]:
		case !ok:
			probs = append(probs, fmt.Sprintf("unknown field %q", name))
		case isFile:
			if !slices.Contains(f.types, "InputFile") {
				probs = append(probs, fmt.Sprintf("%s: a file upload where the specification wants %s", name, strings.Join(f.types, " or ")))
			}
		case p.raw[name] != nil && (p.raw[name][0] != '"' || !serialised(f.types)):
			probs = append(probs, checkJSON(f.types, p.raw[name], name)...)
		default: // form text, or an object JSON-serialised into a JSON string
			probs = append(probs, checkForm(f.types, p.vals[name], name, p)...)
		}
	}
	for _, f := range fields {
		_, isVal := p.vals[f.name]
		_, isFile := p.files[f.name]
		if f.required && !isVal && !isFile {
			probs = append(probs, fmt.Sprintf("missing required field %q", f.name))
		}
	}
	return probs
}

// serialised reports whether an argument is an object or array, which the
// specification calls "JSON-serialized": clients may send it as a string.
func serialised(types []string) bool {
	for _, t := range types {
		if !scalarTypes[t] {
			return true
		}
	}
	return false
}

var scalarTypes = map[string]bool{"String": true, "Integer": true, "Float": true, "Boolean": true, "InputFile": true}

// checkForm checks a form (or query string) argument: scalars are text,
// objects and arrays JSON text.
func checkForm(types []string, v, path string, p *params) []string {
	var best []string
	for _, t := range types {
		var ok bool
		switch t {
		case "String":
			ok = true
		case "Integer":
			_, err := strconv.ParseInt(v, 10, 64)
			ok = err == nil
		case "Float":
			_, err := strconv.ParseFloat(v, 64)
			ok = err == nil
		case "Boolean":
			ok = v == "true" || v == "false"
		case "InputFile":
			name, isAttach := strings.CutPrefix(v, "attach://")
			_, ok = p.files[name]
			ok = ok && isAttach
		default:
			probs := checkJSON([]string{t}, json.RawMessage(v), path)
			if len(probs) == 0 {
				return nil
			}
			if best == nil || len(probs) < len(best) {
				best = probs
			}
			continue
		}
		if ok {
			return nil
		}
	}
	if best != nil {
		return best
	}
	return []string{fmt.Sprintf("%s: want %s, got %s", path, strings.Join(types, " or "), snippet([]byte(v)))}
}

// checkJSON checks a JSON value against alternative types and reports the
// problems of the closest one: the one whose own fields fit best (a broken
// inline keyboard is still an inline keyboard), then with fewest problems.
func checkJSON(types []string, raw json.RawMessage, path string) []string {
	var best []string
	bestMisfit := 0
	for _, t := range types {
		probs, shapeOK := checkJSONType(t, raw, path)
		if len(probs) == 0 {
			return nil
		}
		if !shapeOK {
			continue
		}
		m := misfit(t, raw)
		if best == nil || m < bestMisfit || (m == bestMisfit && len(probs) < len(best)) {
			best, bestMisfit = probs, m
		}
	}
	if best != nil {
		return best
	}
	return []string{fmt.Sprintf("%s: want %s, got %s", path, strings.Join(types, " or "), snippet(raw))}
}

// misfit counts the fields of an object that type t does not have, and
// the required ones it lacks.
func misfit(t string, raw json.RawMessage) int {
	st := specTypes[t]
	var obj map[string]json.RawMessage
	if len(st.fields) == 0 || json.Unmarshal(raw, &obj) != nil {
		return 0
	}
	n := len(obj)
	for _, f := range st.fields {
		if _, ok := obj[f.name]; ok {
			n--
		} else if f.required {
			n++
		}
	}
	return n
}

func snippet(raw []byte) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

// checkJSONType checks raw against one type; shapeOK is false when raw is
// not even the right kind of JSON value, so another alternative explains
// the problem better.
func checkJSONType(t string, raw json.RawMessage, path string) (probs []string, shapeOK bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !json.Valid(raw) {
		return []string{path + ": not valid JSON"}, false
	}
	kind := raw[0]
	isNumber := kind == '-' || (kind >= '0' && kind <= '9')
	bad := []string{path + ": wrong type"}
	if elem, isArray := strings.CutPrefix(t, "Array of "); isArray {
		var items []json.RawMessage
		if kind != '[' || json.Unmarshal(raw, &items) != nil {
			return bad, false
		}
		for i, it := range items {
			probs = append(probs, checkJSON([]string{elem}, it, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return probs, true
	}
	switch t {
	case "String", "InputFile": // a file_id, URL or attach://name
		if kind != '"' {
			return bad, false
		}
		return nil, true
	case "Integer":
		if _, err := strconv.ParseInt(string(raw), 10, 64); !isNumber || err != nil {
			return bad, false
		}
		return nil, true
	case "Float":
		if !isNumber {
			return bad, false
		}
		return nil, true
	case "Boolean":
		if kind != 't' && kind != 'f' {
			return bad, false
		}
		return nil, true
	}
	st, known := specTypes[t]
	if !known {
		return []string{fmt.Sprintf("%s: type %s is not in botapitest's table", path, t)}, false
	}
	var obj map[string]json.RawMessage
	if kind != '{' || json.Unmarshal(raw, &obj) != nil {
		return bad, false
	}
	if len(st.subtypes) > 0 {
		return checkUnion(t, st, obj, raw, path), true
	}
	if st.tag.field != "" {
		var v string
		if json.Unmarshal(obj[st.tag.field], &v) != nil || v != st.tag.value {
			return []string{fmt.Sprintf("%s.%s: want %q", path, st.tag.field, st.tag.value)}, false
		}
	}
	keys := slices.Sorted(maps.Keys(obj))
	byName := make(map[string]specField, len(st.fields))
	for _, f := range st.fields {
		byName[f.name] = f
	}
	for _, k := range keys {
		f, ok := byName[k]
		switch {
		case !ok:
			probs = append(probs, fmt.Sprintf("%s: unknown field %q", path, k))
		case string(obj[k]) != "null":
			probs = append(probs, checkJSON(f.types, obj[k], path+"."+k)...)
		}
	}
	for _, f := range st.fields {
		if v, ok := obj[f.name]; f.required && (!ok || string(v) == "null") {
			probs = append(probs, fmt.Sprintf("%s: missing required field %q", path, f.name))
		}
	}
	if rule := proseRules[t]; rule != nil {
		probs = append(probs, rule(obj, path)...)
	}
	return probs, true
}

// checkUnion checks an object against the subtype its tag names.
func checkUnion(t string, st specType, obj map[string]json.RawMessage, raw json.RawMessage, path string) []string {
	var tags []string
	for _, sub := range st.subtypes {
		tag := specTypes[sub].tag
		if tag.field == "" {
			return checkJSON(st.subtypes, raw, path) // no tags: the closest subtype
		}
		var v string
		if json.Unmarshal(obj[tag.field], &v) == nil && v == tag.value {
			return checkJSON([]string{sub}, raw, path)
		}
		tags = append(tags, strconv.Quote(tag.value))
	}
	field := specTypes[st.subtypes[0]].tag.field
	return []string{fmt.Sprintf("%s.%s: a %s needs one of %s", path, field, t, strings.Join(tags, ", "))}
}
