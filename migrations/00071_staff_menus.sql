-- +goose Up
-- The private chat whose Telegram command menu shows a staff member's
-- commands (set when an invitation is redeemed). When the member is
-- revoked the bot removes that menu, then clears this.
ALTER TABLE staff ADD COLUMN menu_chat_id bigint;

-- +goose Down
ALTER TABLE staff DROP COLUMN menu_chat_id;
