package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tg "github.com/go-telegram/bot"

	"reentrybot/channel"
	"reentrybot/channel/telegram"
	"reentrybot/flows"
	"reentrybot/store"
)

// Directions of a relayed case event.
const (
	relayTopic    = "topic"    // to the counsellors: the case's topic, or the private chat of who took it
	relayReturnee = "returnee" // to the returnee
)

// SettingStaffGroup is the settings key of the staff group's chat id.
const SettingStaffGroup = "staff_group"

// errNotYet means an event has nowhere to go yet (no topic, nobody took
// the case from a private chat): it stays pending.
var errNotYet = errors.New("no destination yet")

func relayKey(caseID int64, to string) int64 {
	if to == relayTopic {
		return caseID * 2
	}
	return caseID*2 + 1
}

// kickRelay sends a case's pending events in one direction, in order, in
// the background.
func (b *Bot) kickRelay(caseID int64, to string) {
	b.relays.submit(b.sendCtx, relayKey(caseID, to), func(context.Context) error {
		for {
			more, err := b.relayOne(b.sendCtx, caseID, to)
			if err != nil {
				if !errors.Is(err, errNotYet) && b.sendCtx.Err() == nil {
					b.log.Warn("relay paused, the sweeper will retry", "case", caseID, "to", to, "err", err)
				}
				return nil
			}
			if !more {
				return nil
			}
		}
	})
}

// relayOne sends the oldest pending event, holding its row lock while
// sending so that another process does not send it too.
func (b *Bot) relayOne(ctx context.Context, caseID int64, to string) (more bool, err error) {
	var after effects
	err = b.db.InTx(ctx, func(tx *store.Tx) error {
		ev, ok, err := tx.NextRelay(ctx, caseID, to)
		if err != nil || !ok {
			return err
		}
		c, err := tx.Case(ctx, caseID)
		if err != nil {
			return err
		}
		var sendErr error
		if to == relayTopic {
			sendErr = b.sendToStaff(ctx, tx, c, ev)
		} else {
			sendErr = b.sendToReturnee(ctx, c, ev)
		}
		var perm *channel.PermanentError
		var nd *channel.NotDeliveredError
		var held *channel.HeldError
		switch {
		case errors.As(sendErr, &held) && to == relayReturnee:
			// Later events of the case wait behind it (order holds); the
			// sweep tries again. The counsellors are told once.
			first, err := tx.HoldRelay(ctx, ev.ID, held.Until)
			if err != nil || !first {
				return err
			}
			if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "system", Kind: "notice", Body: "topic_held", RelayTo: relayTopic}); err != nil {
				return err
			}
			after.add(func() { b.kickRelay(c.ID, relayTopic) })
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
		case errors.As(sendErr, &nd) && to == relayReturnee:
			// The counsellors must know their answer did not arrive.
			more = true
			if err := tx.FinishRelay(ctx, ev.ID, nd.Error()); err != nil {
				return err
			}
			if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "system", Kind: "notice", Body: "topic_not_delivered", RelayTo: relayTopic}); err != nil {
				return err
			}
			after.add(func() { b.kickRelay(c.ID, relayTopic) })
			return nil
		case errors.Is(sendErr, channel.ErrUnreachable) && to == relayReturnee:
			more = true
			if err := tx.FinishRelay(ctx, ev.ID, "unreachable"); err != nil {
				return err
			}
			if _, err := tx.AddCaseEvent(ctx, store.NewEvent{CaseID: c.ID, Actor: "system", Kind: "notice", Body: "topic_returnee_blocked", RelayTo: relayTopic}); err != nil {
				return err
			}
			after.add(func() { b.kickRelay(c.ID, relayTopic) })
			return nil
		case errors.As(sendErr, &perm):
			more = true
			return tx.FinishRelay(ctx, ev.ID, perm.Reason)
		}
		return sendErr
	})
	after.run()
	return more, err
}

// sendToStaff delivers an event to the counsellors' side.
func (b *Bot) sendToStaff(ctx context.Context, tx *store.Tx, c store.Case, ev store.CaseEvent) error {
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
		err := b.send.Do(ctx, telegram.Target{ChatID: chat, Group: true}, "deleteForumTopic", func(ctx context.Context) error {
			_, err := b.api.DeleteForumTopic(ctx, &tg.DeleteForumTopicParams{ChatID: chat, MessageThreadID: thread})
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
		text = b.cat.T(lang, "group_case_erased", nil)
	case ev.Actor == "system":
		text = b.cat.T(lang, ev.Body.String, map[string]any{"ID": c.ID})
	case ev.Kind == "reopened":
		text = b.cat.T(lang, "topic_reopened", map[string]any{"ID": c.ID})
	case ev.Media.Valid && !ev.SrcChatID.Valid:
		// Sent on a messenger the topic cannot copy from: say what came.
		text = b.cat.T(lang, "returnee_sent_elsewhere", map[string]any{"Kind": ev.Media.String})
	case ev.Media.Valid:
		if !group {
			return b.copyAbout(ctx, tx, c.ID, chat, ev, b.cat.T(lang, "returnee_sent", map[string]any{"ID": c.ID}))
		}
		return b.copyTo(ctx, telegram.Target{ChatID: chat, Group: group}, thread, ev, b.cat.T(lang, "returnee_sent", map[string]any{"ID": c.ID}))
	default:
		text = b.cat.T(lang, "returnee_says", map[string]any{"ID": c.ID, "Text": escape(ev.Body.String)})
	}
	if group {
		_, err := b.sendGroupMsg(ctx, chat, thread, text, nil)
		return err
	}
	return b.sendAbout(ctx, tx, c.ID, chat, text) // scope.go: an erasure deletes it
}

// copyTo sends a line saying who sent what, then a copy of the media.
func (b *Bot) copyTo(ctx context.Context, t telegram.Target, thread int, ev store.CaseEvent, header string) error {
	var err error
	if t.Group {
		_, err = b.sendGroupMsg(ctx, t.ChatID, thread, header, nil)
	} else {
		err = b.sendText(ctx, t.ChatID, header, nil)
	}
	if err != nil {
		return err
	}
	return b.send.Do(ctx, t, "copyMessage", func(ctx context.Context) error {
		_, err := b.api.CopyMessage(ctx, &tg.CopyMessageParams{
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
func (b *Bot) sendToReturnee(ctx context.Context, c store.Case, ev store.CaseEvent) error {
	ch, ok := b.channel(channel.Name(c.PersonChannel))
	if !ok {
		return &channel.PermanentError{Method: "relay", Reason: "the person is on " + c.PersonChannel + ", which this bot does not run"}
	}
	if ev.Kind == "message" && ev.Media.Valid && ch.Name() == telegram.Name {
		chat, err := strconv.ParseInt(c.PersonChat, 10, 64)
		if err != nil {
			return &channel.PermanentError{Method: "relay", Reason: "person has no Telegram chat"}
		}
		name := b.staffName(ctx, ev.StaffID.Int64)
		return b.copyTo(ctx, telegram.Target{ChatID: chat}, 0, ev, b.cat.T(c.PersonLang, "counsellor_sent", map[string]any{"Name": escape(name)}))
	}
	return b.sendToChannel(ctx, ch, c, ev)
}

func (b *Bot) staffName(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	name, err := b.db.StaffName(ctx, id)
	if err != nil {
		b.log.Warn("reading staff name", "staff", id, "err", err)
	}
	return name
}

// ensureTopic opens the staff-group topic of a new case and posts its
// card. Several processes may try: the case row lock lets one do it.
func (b *Bot) ensureTopic(ctx context.Context, caseID int64) error {
	posted := false
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(ctx, caseID)
		if err != nil {
			return err
		}
		if c.TopicThreadID.Valid || !c.Open() {
			return nil
		}
		// Only a group whose scope covers the case's commune (scope.go);
		// none: counsellors work it from their private chats.
		g, ok, err := b.db.GroupFor(ctx, c.CommuneCode.String)
		if err != nil || !ok {
			return err
		}
		group := g.ChatID
		b.enforceGroup(ctx, group) // nobody out of scope sees the card (membership.go)
		var thread int
		err = b.send.Do(ctx, telegram.Target{ChatID: group, Group: true}, "createForumTopic", func(ctx context.Context) error {
			t, err := b.api.CreateForumTopic(ctx, &tg.CreateForumTopicParams{ChatID: group, Name: b.topicTitle(c)})
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
		b.kickRelay(caseID, relayTopic)
	}
	return nil
}

// topicTitle is neutral: number, kind, commune; no name, nothing else.
func (b *Bot) topicTitle(c store.Case) string {
	t := b.cat.T(groupLang, "topic_title", map[string]any{
		"ID": c.ID, "Kind": b.cat.T(groupLang, "kind_"+c.Kind, nil), "Commune": c.CommuneName.String,
	})
	if r := []rune(t); len(r) > 128 {
		t = string(r[:128])
	}
	return t
}

// caseCard renders the summary a counsellor sees: profile and answers.
func (b *Bot) caseCard(ctx context.Context, tx *store.Tx, lang string, c store.Case) (string, error) {
	p, err := tx.ProfileOf(ctx, c.PersonID)
	if err != nil {
		return "", err
	}
	opt := func(key, v string) string {
		if v == "" {
			return "—"
		}
		if key != "" && b.cat.Has(lang, key+v) {
			return b.cat.T(lang, key+v, nil)
		}
		return escape(v)
	}
	year := "—"
	if p.BirthYear.Valid {
		year = strconv.FormatInt(p.BirthYear.Int64, 10)
	}
	var sb strings.Builder
	sb.WriteString(b.cat.T(lang, "card_head", map[string]any{
		"ID": c.ID, "Kind": b.cat.T(lang, "kind_"+c.Kind, nil), "Commune": escape(c.CommuneName.String),
		"Opened": c.OpenedAt.In(b.loc).Format("02/01/2006 15:04"), "Status": b.cat.T(lang, "status_"+string(c.Status), nil),
	}))
	sb.WriteString("\n\n")
	sb.WriteString(b.cat.T(lang, "card_profile", map[string]any{
		"Name": opt("", p.FullName.String), "Year": year, "Gender": opt("gender_", p.Gender.String),
		"Phone": opt("", p.Phone.String), "Education": opt("edu_", p.Education.String),
	}))
	if key := "card_channel_" + c.PersonChannel; b.cat.Has(lang, key) { // a channel other than Telegram says so
		sb.WriteString("\n" + b.cat.T(lang, key, nil))
	}
	if lines := b.answerLines(lang, c.Kind, c.Answers); lines != "" {
		sb.WriteString("\n\n" + b.cat.T(lang, "card_answers", nil) + "\n" + lines)
	}
	if !p.Reachable {
		sb.WriteString("\n\n" + b.cat.T(lang, "topic_returnee_blocked", nil))
	}
	return sb.String(), nil
}

// answerLines spells out a case's answers the way the person confirmed
// them, in the staff's language.
func (b *Bot) answerLines(lang, kind string, raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "{}" {
		return ""
	}
	key, params, err := b.engine.CaseView(lang, kind, raw)
	if err != nil {
		b.log.Warn("case answers unreadable", "kind", kind, "err", err)
		return ""
	}
	return b.cat.T(lang, key, escapeParams(params))
}

// sweep retries what is pending: topics of new cases and relays. It runs
// at start and then periodically, so a crash or an outage delays these
// but never drops them.
func (b *Bot) sweep(ctx context.Context) {
	ids, err := b.db.CasesWithoutTopic(ctx)
	if err != nil {
		b.log.Warn("sweep: cases without topic", "err", err)
	}
	for _, id := range ids {
		if err := b.ensureTopic(ctx, id); err != nil {
			b.log.Warn("sweep: topic", "case", id, "err", err)
			break
		}
	}
	pend, err := b.db.PendingRelays(ctx)
	if err != nil {
		b.log.Warn("sweep: pending relays", "err", err)
	}
	for _, p := range pend {
		b.kickRelay(p.CaseID, p.RelayTo)
	}
	b.sweepInbox(ctx)       // channels.go
	b.dropRevokedMenus(ctx) // menus.go
	b.learnGroups(ctx)      // membership.go
	b.enforceGroup(ctx, 0)  // membership.go: revoked staff leave every group
	b.erasePosts(ctx)       // erasure.go
	b.eraseChats(ctx)       // erasure.go
	b.sweepDeskPosts(ctx)   // desk_bridge.go
}

// The core's own job, run by the sweeper as the features' are.
func init() { RegisterJob("housekeeping", time.Hour, housekeeping) }

// housekeeping drops what can no longer be needed: handled inbox events
// (messengers redeliver for a day at most, Telegram keeps undelivered
// updates for 24 hours, so a week-old event cannot come again) and idle
// web chat sessions and visitors past retention.
func housekeeping(ctx context.Context, b *Bot) error {
	var errs []error
	if _, err := b.db.PruneInbox(ctx, b.now().Add(-7*24*time.Hour)); err != nil {
		errs = append(errs, fmt.Errorf("pruning the inbox: %w", err))
	}
	months := b.opts.RetentionMonths
	if months <= 0 {
		months = store.DefaultRetentionMonths
	}
	if _, err := b.db.PruneWebChat(ctx, b.now().AddDate(0, -months, 0)); err != nil {
		errs = append(errs, fmt.Errorf("pruning the web chat: %w", err))
	}
	return errors.Join(errs...)
}

func (b *Bot) sweeper(ctx context.Context) {
	t := time.NewTicker(b.opts.SweepEvery)
	defer t.Stop()
	last := map[string]time.Time{} // the jobs (features.go), housekeeping's too
	for {
		b.sweep(ctx)
		b.runJobs(ctx, last) // housekeeping, reminders, retention
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newCases hands cases the flows opened or updated to the counsellors.
func (b *Bot) newCases(ctx context.Context, refs []flows.CaseRef) {
	for _, r := range refs {
		id := r.ID
		b.relays.submit(b.sendCtx, relayKey(id, relayTopic), func(context.Context) error {
			if err := b.ensureTopic(b.sendCtx, id); err != nil {
				b.log.Warn("topic of new case, the sweeper will retry", "case", id, "err", err)
			}
			return nil
		})
	}
}
