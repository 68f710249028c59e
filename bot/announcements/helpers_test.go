package announcements_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"reentrybot/bot/bottest"
	"reentrybot/botapitest"
	"reentrybot/clock"
	"reentrybot/dbtest"
	"reentrybot/store"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Communes of the announcement tests.
const (
	hiepHoa = "07840"
	kinhBac = "09187"
)

// daytime puts the bot on a dayClock.
func daytime() bottest.Option { return bottest.WithClock(bottest.DayClock().Now) }

// returnee is one seeded person: their test Telegram user and how the
// tables describe them.
type returnee struct {
	user        botapitest.User
	commune     string
	consents    []bool // announcements decisions in order; nil: never asked
	off         bool   // opted out with /stop
	unreachable bool   // already known unreachable
	kinds       []string
	id          int64
}

// eligible reports whether an announcement to commune should reach them.
func (p returnee) eligible(commune string) bool {
	return p.commune == commune && len(p.consents) > 0 && p.consents[len(p.consents)-1] && !p.off && !p.unreachable
}

// seedReturnees writes people, consents and cases straight into the
// tables, in a few statements, for speed; chat ids are the users' ids.
func seedReturnees(t testing.TB, x *sqlx.DB, ps []returnee) {
	t.Helper()
	var refs, langs, communes []string
	var offs, reach []bool
	for _, p := range ps {
		refs = append(refs, strconv.FormatInt(p.user.ID, 10))
		lang := p.user.LanguageCode
		if lang != "en" {
			lang = "vi"
		}
		langs, communes = append(langs, lang), append(communes, p.commune)
		offs, reach = append(offs, p.off), append(reach, !p.unreachable)
	}
	var rows []struct {
		ID  int64  `db:"id"`
		Ref string `db:"external_id"`
	}
	err := x.Select(&rows, `
INSERT INTO people (external_id, chat_ref, language, commune_code, announcements_off, reachable)
SELECT r, r, l, NULLIF(c, ''), o, ok FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::bool[]) AS u(r, l, c, o, ok)
RETURNING id, external_id`, pq.Array(refs), pq.Array(langs), pq.Array(communes), pq.Array(offs), pq.Array(reach))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, r := range rows {
		ids[r.Ref] = r.ID
	}
	var cPerson, kPerson []int64
	var cGranted []bool
	var cAt []time.Time
	var kKind []string
	base := clock.System().Add(-time.Hour)
	for i := range ps {
		ps[i].id = ids[refs[i]]
		for j, g := range ps[i].consents {
			cPerson, cGranted, cAt = append(cPerson, ps[i].id), append(cGranted, g), append(cAt, base.Add(time.Duration(j)*time.Minute))
		}
		for _, k := range ps[i].kinds {
			kPerson, kKind = append(kPerson, ps[i].id), append(kKind, k)
		}
	}
	if _, err := x.Exec(`
INSERT INTO consents (person_id, purpose, granted, text_version, decided_at)
SELECT p, 'announcements', g, 'test', a FROM unnest($1::bigint[], $2::bool[], $3::timestamptz[]) AS u(p, g, a)`,
		pq.Array(cPerson), pq.Array(cGranted), pq.Array(cAt)); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Exec(`
INSERT INTO cases (person_id, kind, status, closed_at, outcome)
SELECT p, k, 'closed', now(), 'no_longer_needed' FROM unnest($1::bigint[], $2::text[]) AS u(p, k)`,
		pq.Array(kPerson), pq.Array(kKind)); err != nil {
		t.Fatal(err)
	}
}

// dropPendingUpdates forgets the updates nobody fetched yet, as Telegram
// does after 24 hours: a person who blocked the bot while it was down that
// long is found out only when a message to them is refused with 403.
func dropPendingUpdates(t testing.TB, api *botapitest.Server) {
	t.Helper()
	resp, err := http.PostForm(api.URL()+"/bot"+api.Token()+"/getUpdates", url.Values{"offset": {strconv.FormatInt(1<<60, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// announceMsgs lists the announcements (messages with the stop button) the
// bot sent to chat.
func announceMsgs(r *bottest.Rig, chat int64) []botapitest.Message {
	var out []botapitest.Message
	for _, m := range r.BotMessages(chat) {
		if m.Markup != nil && len(m.Markup.InlineKeyboard) == 1 && m.Markup.InlineKeyboard[0][0].CallbackData == "n:stop" {
			out = append(out, m)
		}
	}
	return out
}

// statusMsg is the author's status message of broadcast id.
func statusMsg(r *bottest.Rig, chat, id int64) (botapitest.Message, bool) {
	for _, m := range r.BotMessages(chat) {
		if strings.HasPrefix(m.Text, "📢 Thông báo #"+strconv.FormatInt(id, 10)+" –") ||
			strings.HasPrefix(m.Text, "📢 Announcement #"+strconv.FormatInt(id, 10)+" –") {
			return m, true
		}
	}
	return botapitest.Message{}, false
}

// privateCallback is a button press in a private chat that the test
// forges (no such button was ever sent).
func privateCallback(from botapitest.User, msgID int, data string) models.Update {
	return models.Update{CallbackQuery: &models.CallbackQuery{
		ID:   "forged-" + strconv.Itoa(msgID) + data,
		From: models.User{ID: from.ID, FirstName: from.FirstName, LanguageCode: from.LanguageCode},
		Message: models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: &models.Message{
			ID: msgID, Date: int(clock.System().Unix()), Chat: models.Chat{ID: from.ID, Type: models.ChatTypePrivate},
		}},
		Data: data,
	}}
}

var _ = context.Background

// officerRow adds a commune officer bound to user straight into staff.
func officerRow(t testing.TB, x *sqlx.DB, user botapitest.User, communes ...string) int64 {
	t.Helper()
	var id int64
	if err := x.Get(&id, `INSERT INTO staff (role, communes, display_name, telegram_user_id) VALUES ('officer', $1, 'UBND xã Hiệp Hoà', $2) RETURNING id`,
		pq.Array(communes), user.ID); err != nil {
		t.Fatal(err)
	}
	return id
}

// scheduleBroadcast writes a confirmed broadcast to communes, to start at
// at, as the composer does after Send.
func scheduleBroadcast(t testing.TB, db *store.DB, staffID, chat int64, body string, at time.Time, communes ...string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.NewDraft(ctx, staffID, chat, "vi")
		if err != nil {
			return err
		}
		d.Body, d.Communes, d.Interest, d.Step = body, communes, "all", "confirm"
		d.ScheduledAt = sql.NullTime{Time: at, Valid: true}
		if err := tx.SaveDraft(ctx, d); err != nil {
			return err
		}
		id = d.ID
		return tx.ConfirmBroadcast(ctx, id, store.BroadcastScheduled, 0, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// eligibleReturnees makes n users of commune who agreed to announcements.
func eligibleReturnees(api *botapitest.Server, n int, commune string) []returnee {
	ps := make([]returnee, n)
	for i := range ps {
		ps[i] = returnee{user: api.NewUser("Người "+strconv.Itoa(i), "vi"), commune: commune, consents: []bool{true}}
	}
	return ps
}

// received counts, per recipient, the announcements of broadcast text
// the test server holds.
func announcementsReceived(api *botapitest.Server, ps []returnee) (got map[int64]int, total int) {
	got = map[int64]int{}
	for _, p := range ps {
		for _, m := range api.Messages(p.user.ID) {
			if m.FromBot && m.Markup != nil {
				got[p.user.ID]++
				total++
			}
		}
	}
	return got, total
}
