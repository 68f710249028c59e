package casework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tg "github.com/go-telegram/bot"

	"reentrybot/bot"
	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/store"
)

// SettingStaffGroup is the settings key of the staff group's chat id.
const SettingStaffGroup = "staff_group"

// errNotYet means an event has nowhere to go yet (no topic, nobody took
// the case from a private chat): it stays pending.
var errNotYet = errors.New("no destination yet")

func relayKey(caseID int64, to string) int64 {
	if to == store.RelayTopic {
		return caseID * 2
	}
	return caseID*2 + 1
}

// kickRelay sends a case's pending events in one direction, in order, in
// the background.
func (b desk) kickRelay(caseID int64, to string) {
	b.InCaseLane(relayKey(caseID, to), func(context.Context) {
		for {
			more, err := b.relayOne(b.SendContext(), caseID, to)
			if err != nil {
				if !errors.Is(err, errNotYet) && b.SendContext().Err() == nil {
					b.Log().Warn("relay paused, the sweeper will retry", "case", caseID, "to", to, "err", err)
				}
				return
			}
			if !more {
				return
			}
		}
	})
}

// relayOne sends the oldest pending event, holding its row lock while
// sending so that another process does not send it too.
func (b desk) relayOne(ctx context.Context, caseID int64, to string) (more bool, err error) {
	var after bot.Effects
	err = b.Store().InTx(ctx, func(tx *store.Tx) error {
		ev, ok, err := tx.NextRelay(ctx, caseID, to)
		if err != nil || !ok {
			return err
		}
		c, err := tx.Case(ctx, caseID)
		if err != nil {
			return err
		}
		var sendErr error
		if to == store.RelayTopic {
			sendErr = b.sendToStaff(ctx, tx, c, ev)
		} else {
			sendErr = b.sendToReturnee(ctx, c, ev)
		}
		var perm *channel.PermanentError
		var nd *channel.NotDeliveredError
		var held *channel.HeldError
		switch {
		case errors.As(sendErr, &held) && to == store.RelayReturnee:
			// Later events of the case wait behind it (order holds); the
			// sweep tries again. The counsellors are told once.
			first, err := tx.HoldRelay(ctx, ev.ID, held.Until)
			if err != nil || !first {
				return err
			}
			if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "system", Kind: "notice", Body: "topic_held", RelayTo: store.RelayTopic}); err != nil {
				return err
			}
			after.Add(func() { b.kickRelay(c.ID, store.RelayTopic) })
			return nil
		case sendErr == nil:
			more = true
			if ev.Kind == "released" {
				// Its taker left (store.RevokeStaff): the card shows it
				// waiting again, with Take.
				if err := b.refreshCard(ctx, tx, &after, c); err != nil {
					return err
				}
			}
			return tx.FinishRelay(ctx, ev.ID, "")
		case errors.As(sendErr, &nd) && to == store.RelayReturnee:
			// The counsellors must know their answer did not arrive.
			more = true
			if err := tx.FinishRelay(ctx, ev.ID, nd.Error()); err != nil {
				return err
			}
			if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "system", Kind: "notice", Body: "topic_not_delivered", RelayTo: store.RelayTopic}); err != nil {
				return err
			}
			after.Add(func() { b.kickRelay(c.ID, store.RelayTopic) })
			return nil
		case errors.Is(sendErr, channel.ErrUnreachable) && to == store.RelayReturnee:
			more = true
			if err := tx.FinishRelay(ctx, ev.ID, "unreachable"); err != nil {
				return err
			}
			if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "system", Kind: "notice", Body: "topic_returnee_blocked", RelayTo: store.RelayTopic}); err != nil {
				return err
			}
			after.Add(func() { b.kickRelay(c.ID, store.RelayTopic) })
			return nil
		case errors.As(sendErr, &perm):
			more = true
			return tx.FinishRelay(ctx, ev.ID, perm.Reason)
		}
		return sendErr
	})
	after.Run()
	return more, err
}

// sendToStaff delivers an event to the counsellors' side.
func (b desk) sendToStaff(ctx context.Context, tx *store.Tx, c store.Case, ev store.CaseEvent) error {
	chat, thread, group := c.TopicChatID.Int64, int(c.TopicThreadID.Int64), true
	if !c.TopicThreadID.Valid {
		id, ok, err := tx.PrivateCaseStaff(ctx, c.ID)
		if err != nil {
			return err
		}
		if !ok {
			return errNotYet
		}
		chat, thread, group = id, 0, false
	}
	lang := groupLang
	var text string
	switch {
	case ev.Actor == "system" && ev.Body.String == "topic_case_erased" && group:
		// Erasure reaches Telegram: the topic goes with its card and every
		// message relayed into it, and the case forgets it, so nothing in
		// the group can be matched to the anonymous record.
		err := b.Sender().Do(ctx, telegram.Target{ChatID: chat, Group: true}, "deleteForumTopic", func(ctx context.Context) error {
			_, err := b.API().DeleteForumTopic(ctx, &tg.DeleteForumTopicParams{ChatID: chat, MessageThreadID: thread})
			return err
		})
		var perm *channel.PermanentError
		if err != nil && !errors.As(err, &perm) { // refused: already gone
			return err
		}
		if err := tx.ForgetCaseTopic(ctx, c.ID, ev.ID); err != nil {
			return err
		}
		chat, thread = c.TopicChatID.Int64, 0
		text = b.Catalog().T(lang, "group_case_erased", nil)
	case ev.Actor == "system":
		text = b.Catalog().T(lang, ev.Body.String, map[string]any{"ID": c.ID})
	case ev.Kind == "reopened":
		text = b.Catalog().T(lang, "topic_reopened", map[string]any{"ID": c.ID})
	case ev.Media.Valid && !ev.SrcChatID.Valid:
		// Sent on a messenger the topic cannot copy from: the file itself
		// where that messenger hands it over, else say what came.
		if ev.MediaRef.Valid {
			err := b.sendFetched(ctx, tx, c, ev, chat, thread, group)
			var perm *channel.PermanentError
			if !errors.As(err, &perm) {
				return err
			}
			b.Log().Info("a returnee's file could not be fetched: named instead", "case", c.ID, "reason", perm.Reason)
		}
		text = b.Catalog().T(lang, "returnee_sent_elsewhere", map[string]any{"Kind": ev.Media.String})
	case ev.Media.Valid:
		if !group {
			return b.copyAbout(ctx, tx, c.ID, chat, ev, b.Catalog().T(lang, "returnee_sent", map[string]any{"ID": c.ID}))
		}
		return b.copyTo(ctx, telegram.Target{ChatID: chat, Group: group}, thread, ev, b.Catalog().T(lang, "returnee_sent", map[string]any{"ID": c.ID}))
	default:
		text = b.Catalog().T(lang, "returnee_says", map[string]any{"ID": c.ID, "Text": bot.Escape(ev.Body.String)})
	}
	if group {
		_, err := b.sendGroupMsg(ctx, chat, thread, text, nil)
		return err
	}
	return b.sendAbout(ctx, tx, c.ID, chat, text) // scope.go: an erasure deletes it
}

// sendFetched fetches a file the returnee sent on another messenger and
// uploads it after the line saying who sent it: into the topic, or to the
// counsellor who took the case (recorded for erasure). A picture goes as
// a photo where Telegram takes it as one, anything else as a document
// under the name the person's device gave it.
func (b desk) sendFetched(ctx context.Context, tx *store.Tx, c store.Case, ev store.CaseEvent, chat int64, thread int, group bool) error {
	f, err := b.FetchFile(ctx, channel.Name(c.PersonChannel), ev.MediaRef.String)
	if err != nil {
		return err
	}
	if ev.MediaName.Valid {
		f.Name = ev.MediaName.String
	}
	photo := (f.MIME == "image/jpeg" || f.MIME == "image/png") && len(f.Data) <= maxPhotoBytes
	header := b.Catalog().T(groupLang, "returnee_sent", map[string]any{"ID": c.ID})
	caption := ""
	if ev.Body.Valid {
		caption = bot.Escape(ev.Body.String)
	}
	if group {
		if _, err := b.sendGroupMsg(ctx, chat, thread, header, nil); err != nil {
			return err
		}
		_, err := b.Upload(ctx, telegram.Target{ChatID: chat, Group: true, Thread: thread}, photo, f.Name, f.Data, caption)
		return err
	}
	if err := b.sendAbout(ctx, tx, c.ID, chat, header); err != nil {
		return err
	}
	id, err := b.Upload(ctx, telegram.Target{ChatID: chat}, photo, f.Name, f.Data, caption)
	if err != nil {
		return err
	}
	return b.recordPost(ctx, tx, c.ID, chat, id)
}

// maxPhotoBytes is the largest picture Telegram takes as a photo from a
// bot; a larger one goes as a document.
const maxPhotoBytes = 10 << 20

// copyTo sends a line saying who sent what, then a copy of the media.
func (b desk) copyTo(ctx context.Context, t telegram.Target, thread int, ev store.CaseEvent, header string) error {
	var err error
	if t.Group {
		_, err = b.sendGroupMsg(ctx, t.ChatID, thread, header, nil)
	} else {
		err = b.SendMarkup(ctx, t.ChatID, header, nil)
	}
	if err != nil {
		return err
	}
	return b.Sender().Do(ctx, t, "copyMessage", func(ctx context.Context) error {
		_, err := b.API().CopyMessage(ctx, &tg.CopyMessageParams{
			ChatID: t.ChatID, MessageThreadID: thread,
			FromChatID: ev.SrcChatID.Int64, MessageID: int(ev.SrcMsgID.Int64),
		})
		return err
	})
}

// sendToReturnee delivers a counsellor's message (signed with the
// counsellor's display name, never their account) or the closing notice,
// on the person's channel. A file or picture from the topic is copied
// where the person is on the staff's own messenger (Telegram); elsewhere
// they are told one was sent (sendToChannel).
func (b desk) sendToReturnee(ctx context.Context, c store.Case, ev store.CaseEvent) error {
	to := channel.Address{Channel: channel.Name(c.PersonChannel), Ref: c.PersonChat}
	caps, ok := b.Capabilities(to.Channel)
	if !ok {
		return &channel.PermanentError{Method: "relay", Reason: "the person is on " + c.PersonChannel + ", which this bot does not run"}
	}
	if ev.Kind == "message" && ev.Media.Valid && to.Channel == telegram.Name {
		chat, err := strconv.ParseInt(c.PersonChat, 10, 64)
		if err != nil {
			return &channel.PermanentError{Method: "relay", Reason: "person has no Telegram chat"}
		}
		name := b.staffName(ctx, ev.StaffID.Int64)
		return b.copyTo(ctx, telegram.Target{ChatID: chat}, 0, ev, b.Catalog().T(c.PersonLang, "counsellor_sent", map[string]any{"Name": bot.Escape(name)}))
	}
	return b.sendToChannel(ctx, to, caps, c, ev)
}

func (b desk) staffName(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	name, err := b.Store().StaffName(ctx, id)
	if err != nil {
		b.Log().Warn("reading staff name", "staff", id, "err", err)
	}
	return name
}

// ensureTopic opens the staff-group topic of a new case and posts its
// card. Several processes may try: the case row lock lets one do it.
func (b desk) ensureTopic(ctx context.Context, caseID int64) error {
	posted := false
	err := b.Store().InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, caseID)
		if err != nil {
			return err
		}
		if c.TopicThreadID.Valid || !c.Open() {
			return nil
		}
		// Only a group whose scope covers the case's commune (scope.go);
		// none: counsellors work it from their private chats.
		g, ok, err := b.Store().GroupFor(ctx, c.CommuneCode.String)
		if err != nil || !ok {
			return err
		}
		group := g.ChatID
		b.enforceGroup(ctx, group) // nobody out of scope sees the card (membership.go)
		var thread int
		err = b.Sender().Do(ctx, telegram.Target{ChatID: group, Group: true}, "createForumTopic", func(ctx context.Context) error {
			t, err := b.API().CreateForumTopic(ctx, &tg.CreateForumTopicParams{ChatID: group, Name: b.topicTitle(c)})
			if err == nil {
				thread = t.MessageThreadID
			}
			return err
		})
		if err != nil {
			return err
		}
		card, err := b.topicCard(ctx, tx, c) // scope.go
		if err != nil {
			return err
		}
		msg, err := b.sendGroupMsg(ctx, group, thread, card, b.topicKeyboard(c))
		if err != nil {
			return err
		}
		if err := tx.SetCaseTopic(ctx, c.ID, group, thread, msg); err != nil {
			return err
		}
		posted = true
		return tx.Audit(ctx, 0, 0, "card_posted", c.ID, strconv.FormatInt(group, 10))
	})
	if err != nil {
		return fmt.Errorf("opening topic of case %d: %w", caseID, err)
	}
	if posted {
		b.kickRelay(caseID, store.RelayTopic)
	}
	return nil
}

// topicTitle is neutral: number, kind, commune; no name, nothing else.
func (b desk) topicTitle(c store.Case) string {
	t := b.Catalog().T(groupLang, "topic_title", map[string]any{
		"ID": c.ID, "Kind": b.Catalog().T(groupLang, "kind_"+c.Kind, nil), "Commune": c.CommuneName.String,
	})
	if r := []rune(t); len(r) > 128 {
		t = string(r[:128])
	}
	return t
}

// caseCard renders the summary a counsellor sees: profile and answers.
func (b desk) caseCard(ctx context.Context, tx *store.Tx, lang string, c store.Case) (string, error) {
	p, err := tx.ProfileOf(ctx, c.PersonID)
	if err != nil {
		return "", err
	}
	opt := func(key, v string) string {
		if v == "" {
			return "—"
		}
		if key != "" && b.Catalog().Has(lang, key+v) {
			return b.Catalog().T(lang, key+v, nil)
		}
		return bot.Escape(v)
	}
	year := "—"
	if p.BirthYear.Valid {
		year = strconv.FormatInt(p.BirthYear.Int64, 10)
	}
	var sb strings.Builder
	sb.WriteString(b.Catalog().T(lang, "card_head", map[string]any{
		"ID": c.ID, "Kind": b.Catalog().T(lang, "kind_"+c.Kind, nil), "Commune": bot.Escape(c.CommuneName.String),
		"Opened": c.OpenedAt.In(b.Location()).Format("02/01/2006 15:04"), "Status": b.Catalog().T(lang, "status_"+string(c.Status), nil),
	}))
	sb.WriteString("\n\n")
	sb.WriteString(b.Catalog().T(lang, "card_profile", map[string]any{
		"Name": opt("", p.FullName.String), "Year": year, "Gender": opt("gender_", p.Gender.String),
		"Phone": opt("", p.Phone.String), "Education": opt("edu_", p.Education.String),
	}))
	if key := "card_channel_" + c.PersonChannel; b.Catalog().Has(lang, key) { // a channel other than Telegram says so
		sb.WriteString("\n" + b.Catalog().T(lang, key, nil))
	}
	if lines := b.answerLines(lang, c.Kind, c.Answers); lines != "" {
		sb.WriteString("\n\n" + b.Catalog().T(lang, "card_answers", nil) + "\n" + lines)
	}
	if !p.Reachable {
		sb.WriteString("\n\n" + b.Catalog().T(lang, "topic_returnee_blocked", nil))
	}
	return sb.String(), nil
}

// answerLines spells out a case's answers the way the person confirmed
// them, in the staff's language.
func (b desk) answerLines(lang, kind string, raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "{}" {
		return ""
	}
	key, params, err := b.Engine().CaseView(lang, kind, raw)
	if err != nil {
		b.Log().Warn("case answers unreadable", "kind", kind, "err", err)
		return ""
	}
	return b.Catalog().T(lang, key, channel.EscapeParams(params))
}

// casesChanged hands the cases an input opened to the counsellors (a
// topic, then the relay) and relays the notices of those it updated.
func (b desk) casesChanged(_ context.Context, refs []flows.CaseRef) {
	for _, r := range refs {
		id := r.ID
		if !r.Created {
			b.kickRelay(id, store.RelayTopic)
			continue
		}
		b.InCaseLane(relayKey(id, store.RelayTopic), func(ctx context.Context) {
			if err := b.ensureTopic(ctx, id); err != nil {
				b.Log().Warn("topic of new case, the sweeper will retry", "case", id, "err", err)
			}
		})
	}
}

// newCaseFromText opens a new "talk to a counsellor" case with what a
// returnee typed at the menu, when their last case was closed too long ago
// to reopen. Someone who never had a case gets the menu instead.
func (b desk) newCaseFromText(ctx context.Context, tx *store.Tx, fx *bot.Effects, p store.Person, in flows.Input, answer func(text string)) (bool, error) {
	if in.Kind != flows.InText {
		return false, nil
	}
	if had, err := tx.HadCase(ctx, p.ID); err != nil || !had {
		return false, err
	}
	consents, err := tx.Consents(ctx, p.ID)
	if err != nil || !consents[flows.PurposeOther] { // a counsellor request rests on "other"
		return false, err
	}
	prof, err := tx.Profile(ctx, p.ID)
	if err != nil {
		return false, err
	}
	reason, err := flows.CleanText(in.Text, 500, true)
	if err != nil {
		return false, nil // too long or empty: the flows explain
	}
	answers, err := json.Marshal(map[string]string{"reason": reason})
	if err != nil {
		return false, err
	}
	ref, err := tx.SaveCase(ctx, flows.CaseDraft{PersonID: p.ID, Kind: "other", CommuneCode: prof.CommuneCode, Answers: answers, At: b.Now()})
	if err != nil {
		return false, err
	}
	key, params := b.Options().Hours.Expect(b.Now())
	if wk, ok := params["WeekdayKey"].(string); ok {
		params["Weekday"] = b.Catalog().T(p.Language, wk, nil)
	}
	answer(b.Catalog().T(p.Language, "case_opened", map[string]any{
		"ID": ref.ID, "Next": b.Catalog().T(p.Language, "next_other", nil), "When": b.Catalog().T(p.Language, key, params),
	}))
	fx.Add(func() { b.casesChanged(ctx, []flows.CaseRef{ref}) })
	return true, nil
}

// relayFromReturnee passes what a returnee writes to their case's
// counsellor: always while a counsellor works on the case, and at the menu
// while a case is open or was closed recently (it reopens). It reports
// whether the input was taken.
func (b desk) relayFromReturnee(ctx context.Context, tx *store.Tx, fx *bot.Effects, t *bot.ReturneeTurn) (bool, error) {
	p, conv, conversing, in, answer := t.Person, t.Conv, t.Conversing, t.Input, t.Answer
	if !conversing && !flows.AtRest(conv) {
		return false, nil // in a flow, and no counsellor on a case: the flows answer
	}
	var (
		c   store.Case
		ok  bool
		err error
	)
	if conversing {
		if c, ok, err = tx.ConversingCase(ctx, p.ID); err != nil {
			return false, err
		}
	}
	if !ok {
		if !flows.AtRest(conv) {
			return false, nil
		}
		open, err := tx.OpenCasesOf(ctx, p.ID)
		if err != nil {
			return false, err
		}
		if len(open) > 0 {
			c, ok = open[len(open)-1], true
		} else {
			c, ok, err = tx.ReopenableCase(ctx, p.ID, b.Now().Add(-b.Options().ReopenWithin))
			if err != nil {
				return false, err
			}
			if !ok {
				return b.newCaseFromText(ctx, tx, fx, p, in, answer)
			}
			if err := tx.ReopenCase(ctx, c.ID); err != nil {
				return false, err
			}
			if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "returnee", Kind: "reopened", RelayTo: store.RelayTopic}); err != nil {
				return false, err
			}
			if c.TopicThreadID.Valid {
				chat, thread := c.TopicChatID.Int64, int(c.TopicThreadID.Int64)
				fx.Add(func() { b.topicOpen(chat, thread, true) })
			}
		}
	}
	ev := store.NewEvent{CaseID: c.ID, Actor: "returnee", Kind: "message", Body: in.Text, RelayTo: store.RelayTopic}
	switch {
	case t.CopyFrom != nil:
		ev.Media, ev.SrcChatID, ev.SrcMsgID, ev.Body = t.CopyFrom.Kind, t.CopyFrom.Chat, t.CopyFrom.Msg, t.CopyFrom.Caption
	case in.Kind == flows.InMedia:
		// From another messenger: fetched and uploaded when relayed
		// (sendFetched), or named where it cannot be fetched.
		ev.Media, ev.MediaRef, ev.MediaName = in.Media, t.MediaRef, t.MediaName
	case in.Kind == flows.InContact:
		ev.Body = in.Phone
	}
	if _, err := tx.AddCaseEvent(ctx, ev); err != nil {
		return false, err
	}
	if c.Status == store.CaseWaiting {
		if err := tx.SetCaseStatus(ctx, c.ID, store.CaseAssigned, 0); err != nil {
			return false, err
		}
	}
	now := b.Now()
	if since := b.Options().Hours.OffDutySince(now); !since.IsZero() {
		first, err := tx.OffHoursNotice(ctx, p.ID, since, now)
		if err != nil {
			return false, err
		}
		if first {
			key, params := b.Options().Hours.Expect(now)
			if wk, ok := params["WeekdayKey"].(string); ok {
				params["Weekday"] = b.Catalog().T(p.Language, wk, nil)
			}
			answer(b.Catalog().T(p.Language, "off_hours", map[string]any{"When": b.Catalog().T(p.Language, key, params)}))
		}
	}
	id := c.ID
	fx.Add(func() { b.kickRelay(id, store.RelayTopic) })
	return true, nil
}

// sendToChannel is sendToReturnee for a person on another channel: the
// counsellor's text, signed with their display name, or the closing
// notice and the rating question (where the channel has five buttons).
// Media stay in the topic (no copy across messengers).
func (b desk) sendToChannel(ctx context.Context, to channel.Address, caps channel.Capabilities, c store.Case, ev store.CaseEvent) error {
	lang, cat := c.PersonLang, b.Catalog()
	var key string
	params := map[string]any{"ID": c.ID}
	switch {
	case ev.Kind == "closed":
		key = "returnee_case_closed"
	case ev.Kind == "message" && ev.Media.Valid:
		if sent, err := b.sendFileAcross(ctx, to, c, ev); sent || err != nil {
			return err
		}
		// A file the person's messenger cannot show: say so, rather than a
		// line that promises what never follows.
		key, params = "counsellor_sent_elsewhere", map[string]any{"Name": b.staffName(ctx, ev.StaffID.Int64)}
	case ev.Kind == "message":
		key, params = "counsellor_says", map[string]any{"Name": b.staffName(ctx, ev.StaffID.Int64), "Text": ev.Body.String}
	default:
		return &channel.PermanentError{Method: "relay", Reason: "unknown event kind " + ev.Kind}
	}
	if err := b.SendTo(ctx, to, cat.T(lang, key, channel.EscapeParams(params)), channel.PurposeCounsellor); err != nil || ev.Kind != "closed" {
		return err
	}
	if row := ratingButtons(c.ID, caps); row != nil {
		if err := b.SendTo(ctx, to, cat.T(lang, "rating_question", nil), channel.PurposeCounsellor, row...); err != nil {
			b.Log().Warn("asking for a rating", "case", c.ID, "to", to.String(), "err", err) // the closing notice went
		}
	}
	return nil
}

// sendFileAcross passes a counsellor's photo or document from Telegram to
// a person on another messenger that carries it (Zalo: pictures and
// PDF/Word files; the web chat), with the line saying who sent it. sent is
// false, with no error, where it cannot go (a sticker, a voice message, a
// type or a size the messenger refuses): the caller says a file came.
func (b desk) sendFileAcross(ctx context.Context, to channel.Address, c store.Case, ev store.CaseEvent) (sent bool, err error) {
	if !ev.MediaRef.Valid {
		return false, nil
	}
	if caps, ok := b.Capabilities(to.Channel); !ok || len(caps.Files) == 0 {
		return false, nil
	}
	f, err := b.FetchFile(ctx, telegram.Name, ev.MediaRef.String)
	var perm *channel.PermanentError
	if errors.As(err, &perm) {
		b.Log().Info("a counsellor's file could not be fetched: named instead", "case", c.ID, "reason", perm.Reason)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ev.MediaName.Valid {
		f.Name = ev.MediaName.String
	}
	caption := b.Catalog().T(c.PersonLang, "counsellor_sent", map[string]any{"Name": bot.Escape(b.staffName(ctx, ev.StaffID.Int64))})
	if ev.Body.Valid && ev.Body.String != "" {
		caption += "\n" + bot.Escape(ev.Body.String)
	}
	err = b.SendFileTo(ctx, to, caption, f, channel.PurposeCounsellor)
	if errors.As(err, &perm) {
		b.Log().Info("a counsellor's file was refused by the person's messenger: named instead", "case", c.ID, "reason", perm.Reason)
		return false, nil
	}
	return err == nil, err
}
