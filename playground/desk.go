package playground

import "net/http"

// Desk is the staff desk in the browser (package desk, on DESK_ADDR) and a
// counsellor who signs in there, shown in a column beside the chats
// (web/desk.js) so that a newcomer can answer a case from the web. The
// column frames the desk (which lets only the demo's playground do so:
// a real desk is never framed), with the counsellor's sign-in details.
type Desk struct {
	URL      string // the desk's root, e.g. http://127.0.0.1:8090
	Name     string // the counsellor's display name
	Login    string
	Password string
	// Code is the counsellor's sign-in code now (TOTP on the bot's clock,
	// which the page can move forward).
	Code func() (string, error)
}

func init() { webActions["desk"] = (*Playground).apiDesk }

// apiDesk tells the page where the desk is and how the counsellor signs
// in; 404 when the setup has no desk.
func (p *Playground) apiDesk(_ http.ResponseWriter, _ *http.Request) (map[string]any, error) {
	d := p.opts.Desk
	if d == nil || d.URL == "" {
		return nil, &webError{status: http.StatusNotFound, msg: "no staff desk in this setup"}
	}
	out := map[string]any{"url": d.URL, "name": d.Name, "login": d.Login, "password": d.Password}
	if d.Code != nil {
		code, err := d.Code()
		if err != nil {
			return nil, err
		}
		out["code"] = code
	}
	return out, nil
}
