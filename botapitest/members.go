package botapitest

import (
	"context"
	"fmt"
	"sort"

	"github.com/go-telegram/bot/models"
)

// Group membership: who is in a group, as the bot sees it through
// getChatMember, getChatAdministrators and chat_member updates (sent only
// when the bot asked for them in allowed_updates, as on Telegram), and
// what banChatMember and unbanChatMember do to it.

// Member statuses, Telegram's spelling.
const (
	StatusOwner  = "creator"
	StatusAdmin  = "administrator"
	StatusMember = "member"
	StatusLeft   = "left"
	StatusBanned = "kicked"
)

type member struct {
	user   User
	status string
}

func (c *chat) memberOf(id int64) *member {
	if c.members == nil {
		return nil
	}
	return c.members[id]
}

func inChat(status string) bool {
	return status == StatusOwner || status == StatusAdmin || status == StatusMember
}

// chatMemberModel is Telegram's ChatMember for a status. Administrators
// the tests add were not promoted by the bot: it cannot remove them.
func chatMemberModel(u models.User, status string) models.ChatMember {
	switch status {
	case StatusOwner:
		return models.ChatMember{Type: models.ChatMemberTypeOwner, Owner: &models.ChatMemberOwner{Status: models.ChatMemberTypeOwner, User: &u}}
	case StatusAdmin:
		return models.ChatMember{Type: models.ChatMemberTypeAdministrator, Administrator: &models.ChatMemberAdministrator{
			Status: models.ChatMemberTypeAdministrator, User: u, CanManageChat: true, CanDeleteMessages: true,
			CanRestrictMembers: true, CanManageTopics: true, CanInviteUsers: true, CanPinMessages: true,
		}}
	case StatusMember:
		return models.ChatMember{Type: models.ChatMemberTypeMember, Member: &models.ChatMemberMember{Status: models.ChatMemberTypeMember, User: &u}}
	case StatusBanned:
		return models.ChatMember{Type: models.ChatMemberTypeBanned, Banned: &models.ChatMemberBanned{Status: models.ChatMemberTypeBanned, User: &u}}
	}
	return models.ChatMember{Type: models.ChatMemberTypeLeft, Left: &models.ChatMemberLeft{Status: models.ChatMemberTypeLeft, User: &u}}
}

// setMemberLocked changes u's status in group c and queues the
// chat_member update (by is who did it: u joining, or an admin or the bot).
func (s *Server) setMemberLocked(c *chat, u User, status string, by models.User) {
	if c.members == nil {
		c.members = map[int64]*member{}
	}
	old := StatusLeft
	if m := c.members[u.ID]; m != nil {
		old = m.status
	}
	c.members[u.ID] = &member{user: u, status: status}
	if old == status {
		return
	}
	um := userModel(u)
	s.enqueueLocked(models.Update{ChatMember: &models.ChatMemberUpdated{
		Chat: chatModel(c), From: by, Date: int(s.now().Unix()),
		OldChatMember: chatMemberModel(um, old), NewChatMember: chatMemberModel(um, status),
	}})
}

func (s *Server) groupLocked(chatID int64, what string) *chat {
	c := s.chats[chatID]
	if c == nil || c.Type == "private" {
		panic(fmt.Sprintf("botapitest: %s: chat %d is not a group", what, chatID))
	}
	return c
}

// Join adds u to a group as a member (status "member"), or as an
// administrator or the owner (StatusAdmin, StatusOwner), as if they
// followed an invitation link or were promoted by a human.
func (s *Server) Join(chatID int64, u User, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.groupLocked(chatID, "Join")
	s.userChatLocked(u)
	s.setMemberLocked(c, u, status, userModel(u))
}

// Leave makes u leave a group.
func (s *Server) Leave(chatID int64, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setMemberLocked(s.groupLocked(chatID, "Leave"), u, StatusLeft, userModel(u))
}

// MemberStatus is u's status in a group: "left" when never in it.
func (s *Server) MemberStatus(chatID, userID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.groupLocked(chatID, "MemberStatus").memberOf(userID); m != nil {
		return m.status
	}
	return StatusLeft
}

// noteWriterLocked makes someone writing in a group a member if the server
// did not know them (tests may skip Join), silently, as for members who
// joined before the bot.
func (c *chat) noteWriterLocked(u User) {
	if c.Type == "private" || c.memberOf(u.ID) != nil {
		return
	}
	if c.members == nil {
		c.members = map[int64]*member{}
	}
	c.members[u.ID] = &member{user: u, status: StatusMember}
}

func (s *Server) memberParamsLocked(p *params) (*chat, int64, *apiError) {
	c, e := s.chatByParam(p, "chat_id")
	if e != nil {
		return nil, 0, e
	}
	if c.Type == "private" {
		return nil, 0, badRequest("method is available only for supergroups and channel")
	}
	uid, e := p.integer("user_id")
	if e != nil {
		return nil, 0, e
	}
	if uid <= 0 {
		return nil, 0, badRequest("invalid user_id specified")
	}
	return c, uid, nil
}

func (s *Server) getChatMember(_ context.Context, p *params) (any, *apiError) {
	return s.onMember(p, s.getMemberLocked)
}

func (s *Server) getMemberLocked(c *chat, uid int64, _ *params) (any, *apiError) {
	// ChatMember marshals through a pointer receiver: answer pointers.
	if uid == s.cfg.botID {
		cm := chatMemberModel(s.botModel(), StatusAdmin)
		return &cm, nil
	}
	m := c.memberOf(uid)
	if m == nil {
		pc := s.chats[uid]
		if pc == nil || pc.user == nil {
			return nil, badRequest("user not found")
		}
		cm := chatMemberModel(userModel(*pc.user), StatusLeft)
		return &cm, nil
	}
	cm := chatMemberModel(userModel(m.user), m.status)
	return &cm, nil
}

func (s *Server) getChatAdministrators(_ context.Context, p *params) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, e := s.chatByParam(p, "chat_id")
	if e != nil {
		return nil, e
	}
	if c.Type == "private" {
		return nil, badRequest("there are no administrators in the private chat")
	}
	bot := chatMemberModel(s.botModel(), StatusAdmin)
	out := []*models.ChatMember{&bot}
	var ids []int64
	for id, m := range c.members {
		if m.status == StatusOwner || m.status == StatusAdmin {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		m := c.members[id]
		cm := chatMemberModel(userModel(m.user), m.status)
		out = append(out, &cm)
	}
	return out, nil
}

// banChatMember removes the user and keeps them out; like Telegram it
// refuses the owner and administrators the bot did not promote (all of
// them, here).
func (s *Server) banChatMember(_ context.Context, p *params) (any, *apiError) {
	return s.onMember(p, s.banLocked)
}

// onMember runs fn under the lock on the chat and user p names.
func (s *Server) onMember(p *params, fn func(c *chat, uid int64, p *params) (any, *apiError)) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, uid, e := s.memberParamsLocked(p)
	if e != nil {
		return nil, e
	}
	return fn(c, uid, p)
}

func (s *Server) banLocked(c *chat, uid int64, _ *params) (any, *apiError) {
	if uid == s.cfg.botID {
		return nil, badRequest("can't remove self")
	}
	m := c.memberOf(uid)
	switch {
	case m != nil && m.status == StatusOwner:
		return nil, badRequest("can't remove chat owner")
	case m != nil && m.status == StatusAdmin:
		return nil, badRequest("user is an administrator of the chat")
	}
	u := User{ID: uid, FirstName: "User"}
	if m != nil {
		u = m.user
	} else if pc := s.chats[uid]; pc != nil && pc.user != nil {
		u = *pc.user
	}
	s.setMemberLocked(c, u, StatusBanned, s.botModel())
	return true, nil
}

// unbanChatMember lifts a ban; without only_if_banned it also removes a
// member (they may join again), as Telegram documents.
func (s *Server) unbanChatMember(_ context.Context, p *params) (any, *apiError) {
	return s.onMember(p, s.unbanLocked)
}

func (s *Server) unbanLocked(c *chat, uid int64, p *params) (any, *apiError) {
	m := c.memberOf(uid)
	switch {
	case m == nil:
		return true, nil
	case m.status == StatusOwner || m.status == StatusAdmin:
		return nil, badRequest("user is an administrator of the chat")
	case m.status == StatusBanned, m.status == StatusMember && !p.boolean("only_if_banned"):
		s.setMemberLocked(c, m.user, StatusLeft, s.botModel())
	}
	return true, nil
}
