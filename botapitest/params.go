package botapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// params holds a request's arguments, whatever the encoding: query string,
// JSON body, urlencoded or multipart form. Non-string JSON values are kept as
// their JSON text, which is exactly how the go-telegram client sends nested
// objects in multipart fields.
type params struct {
	vals  map[string]string
	files map[string]upload
	// raw keeps the JSON value of each argument of a JSON body, so the
	// specification check can tell 5 from "5"; form arguments are strings.
	raw map[string]json.RawMessage
}

type upload struct {
	name string
	size int
	mime string
}

const maxFieldBytes = 1 << 20

func parseParams(r *http.Request) (*params, error) {
	p := &params{vals: map[string]string{}, files: map[string]upload{}, raw: map[string]json.RawMessage{}}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			p.vals[k] = v[0]
		}
	}
	if r.Method == http.MethodGet || r.Body == nil {
		return p, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, mp, _ := mime.ParseMediaType(ct)
	switch {
	case mt == "application/json":
		return p, p.readJSON(r.Body)
	case mt == "multipart/form-data":
		return p, p.readMultipart(r.Body, mp["boundary"])
	case mt == "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.PostForm {
			if len(v) > 0 {
				p.vals[k] = v[0]
			}
		}
		return p, nil
	default:
		// An empty body without a content type is a plain call without
		// arguments; anything else is worth rejecting loudly.
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1))
		if len(b) > 0 {
			return nil, fmt.Errorf("unsupported Content-Type %q", ct)
		}
		return p, nil
	}
}

func (p *params) readJSON(body io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(body, 16<<20))
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return errors.New("can't parse JSON object")
	}
	for k, v := range m {
		v = bytes.TrimSpace(v)
		if string(v) != "null" {
			p.raw[k] = v
		}
		switch {
		case string(v) == "null":
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			p.vals[k] = s
		default:
			p.vals[k] = string(v)
		}
	}
	return nil
}

// readMultipart streams parts so uploads only get measured, never stored.
func (p *params) readMultipart(body io.Reader, boundary string) error {
	if boundary == "" {
		return errors.New("multipart boundary is missing")
	}
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := part.FormName()
		if part.FileName() != "" {
			n, err := io.Copy(io.Discard, part)
			if err != nil {
				return err
			}
			p.files[name] = upload{name: part.FileName(), size: int(n), mime: part.Header.Get("Content-Type")}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes))
		if err != nil {
			return err
		}
		p.vals[name] = string(b)
	}
}

func (p *params) str(k string) string { return p.vals[k] }

func (p *params) has(k string) bool {
	_, ok := p.vals[k]
	return ok
}

func (p *params) boolean(k string) bool {
	v := strings.ToLower(strings.TrimSpace(p.vals[k]))
	return v == "true" || v == "1"
}

// integer parses an optional integer; missing or empty yields 0.
func (p *params) integer(k string) (int64, *apiError) {
	v := strings.TrimSpace(p.vals[k])
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("invalid %s specified", k))
	}
	return n, nil
}

func (p *params) float(k string) (float64, *apiError) {
	v := strings.TrimSpace(p.vals[k])
	if v == "" {
		return 0, badRequest(k + " is empty")
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("invalid %s specified", k))
	}
	return f, nil
}

// jsonField decodes an optional JSON-valued field; ok is false if absent.
func (p *params) jsonField(k string, dst any) (bool, error) {
	v := strings.TrimSpace(p.vals[k])
	if v == "" {
		return false, nil
	}
	return true, json.Unmarshal([]byte(v), dst)
}
