package botapitest

import (
	"encoding/json"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// Membership through the real client: getChatMember and
// getChatAdministrators decode, the owner and admins cannot be banned, a ban
// lifted with only_if_banned leaves the account out but free to join, and
// each change is a chat_member update, sent only when asked for.
func TestGroupMembership(t *testing.T) {
	s := newServer(t)
	b := newBot(t, s)
	ctx := ctxT(t)
	g := s.NewGroup("Tổ", true)
	owner, admin, lan := s.NewUser("Chủ", "vi"), s.NewUser("Quản trị", "vi"), s.NewUser("Lan", "vi")
	s.Join(g.ID, owner, StatusOwner)
	s.Join(g.ID, admin, StatusAdmin)
	s.Join(g.ID, lan, StatusMember)

	m, err := b.GetChatMember(ctx, &bot.GetChatMemberParams{ChatID: g.ID, UserID: lan.ID})
	if err != nil || m.Type != models.ChatMemberTypeMember || m.Member.User.ID != lan.ID {
		t.Fatalf("getChatMember: %+v %v", m, err)
	}
	admins, err := b.GetChatAdministrators(ctx, &bot.GetChatAdministratorsParams{ChatID: g.ID})
	if err != nil || len(admins) != 3 || admins[1].Type != models.ChatMemberTypeOwner || admins[2].Type != models.ChatMemberTypeAdministrator {
		t.Fatalf("getChatAdministrators: %+v %v", admins, err)
	}
	for _, u := range []User{owner, admin} {
		if _, err := b.BanChatMember(ctx, &bot.BanChatMemberParams{ChatID: g.ID, UserID: u.ID}); err == nil {
			t.Errorf("banning %s should be refused", u.FirstName)
		}
	}
	if _, err := b.BanChatMember(ctx, &bot.BanChatMemberParams{ChatID: g.ID, UserID: lan.ID}); err != nil {
		t.Fatal(err)
	}
	if st := s.MemberStatus(g.ID, lan.ID); st != StatusBanned {
		t.Fatalf("after the ban: %s", st)
	}
	if _, err := b.UnbanChatMember(ctx, &bot.UnbanChatMemberParams{ChatID: g.ID, UserID: lan.ID, OnlyIfBanned: true}); err != nil {
		t.Fatal(err)
	}
	if st := s.MemberStatus(g.ID, lan.ID); st != StatusLeft {
		t.Fatalf("after the unban: %s", st)
	}
	// only_if_banned leaves a member in; without it, unban removes.
	s.Join(g.ID, lan, StatusMember)
	if _, err := b.UnbanChatMember(ctx, &bot.UnbanChatMemberParams{ChatID: g.ID, UserID: lan.ID, OnlyIfBanned: true}); err != nil || s.MemberStatus(g.ID, lan.ID) != StatusMember {
		t.Fatalf("only_if_banned on a member: %s %v", s.MemberStatus(g.ID, lan.ID), err)
	}
	if _, err := b.UnbanChatMember(ctx, &bot.UnbanChatMemberParams{ChatID: g.ID, UserID: lan.ID}); err != nil || s.MemberStatus(g.ID, lan.ID) != StatusLeft {
		t.Fatalf("unban of a member: %s %v", s.MemberStatus(g.ID, lan.ID), err)
	}

	if ups := getUpdates(t, s, nil); len(ups) != 0 {
		t.Fatalf("chat_member updates sent without being asked for: %+v", ups)
	}
	s.Join(g.ID, lan, StatusMember)
	status, r := callJSON(t, s, "getUpdates", map[string]any{"allowed_updates": []string{"chat_member"}})
	var ups []models.Update
	if status != 200 || json.Unmarshal(r.Result, &ups) != nil || len(ups) != 1 {
		t.Fatalf("getUpdates: %d %s", status, r.Result)
	}
	cm := ups[0].ChatMember
	if cm == nil || cm.Chat.ID != g.ID || cm.OldChatMember.Type != models.ChatMemberTypeLeft || cm.NewChatMember.Type != models.ChatMemberTypeMember || cm.NewChatMember.Member.User.ID != lan.ID {
		t.Fatalf("chat_member update: %+v", ups[0])
	}
	if v := s.Violations(); len(v) > 0 {
		t.Errorf("violations: %v", v)
	}
}
