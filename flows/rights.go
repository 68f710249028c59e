package flows

import (
	"context"
	"time"
)

// The person's data rights: /mydata sends what is stored about them as a
// file beside the My data view; /delete (or Delete in My data) erases it
// after a confirmation.

// Attachment is a file sent with a reply (before its text). Caption is a
// catalog message shown with the file.
type Attachment struct {
	Name          string
	MIME          string
	Data          []byte
	Caption       string
	CaptionParams map[string]any
}

// Exporter is implemented by stores that can export a person's data
// (*store.Tx does).
type Exporter interface {
	ExportPerson(ctx context.Context, personID int64, at time.Time) (DataExport, error)
}

// Eraser is implemented by stores that can erase a person's data (*store.Tx
// does): the profile, consents, answers, messages and the links of cases
// and appointments to the person; only anonymous figures remain.
type Eraser interface {
	ErasePerson(ctx context.Context, personID int64, at time.Time) error
}

// beginDelete asks to confirm erasing (/delete).
func (r *run) beginDelete() error {
	r.conv.Flow, r.conv.State = flowMyData, "delete"
	r.d = convData{}
	return r.ask()
}

// myDataWithFile shows My data with the export attached (/mydata).
func (r *run) myDataWithFile() error {
	if err := r.begin(flowMyData); err != nil {
		return err
	}
	ex, ok := r.st.(Exporter)
	if !ok || len(r.out.Replies) == 0 || r.conv.Flow != flowMyData {
		return nil
	}
	d, err := ex.ExportPerson(r.ctx, r.p.ID, r.now)
	if err != nil {
		return err
	}
	last := &r.out.Replies[len(r.out.Replies)-1]
	last.File = &Attachment{
		Name: "du-lieu-cua-toi-" + r.now.In(r.e.hours.Loc).Format("2006-01-02") + ".json", MIME: "application/json", Data: d.JSON,
		Caption:       "mydata_file",
		CaptionParams: map[string]any{"Cases": d.Cases, "Appointments": d.Appointments, "Messages": d.Messages},
	}
	return nil
}

// erase erases the person's data; without an Eraser it empties the
// profile and withdraws every consent.
func (r *run) erase() error {
	r.hint = "" // where a link said they live goes too (hint.go)
	if er, ok := r.st.(Eraser); ok {
		if err := er.ErasePerson(r.ctx, r.p.ID, r.now); err != nil {
			return err
		}
		r.out.Erased = true
		r.prof, r.consents = &Profile{}, map[Purpose]bool{}
		return nil
	}
	r.prof = &Profile{}
	if err := r.saveProfile(); err != nil {
		return err
	}
	return r.decide(map[Purpose]bool{}, r.shownHash("mydata_delete_confirm", nil))
}
