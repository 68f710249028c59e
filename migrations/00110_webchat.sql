-- +goose Up
-- The web chat (package webchat): a person on the page at /chat is the
-- address ('web', ref), ref a random id that never leaves the server.
-- Their short code, written down to continue on another phone, names the
-- ref; the phone number they gave is the second factor. Failed attempts
-- lock the code for a while.
CREATE TABLE webchat_people (
    ref          text        PRIMARY KEY,
    code         text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    failures     integer     NOT NULL DEFAULT 0,
    locked_until timestamptz
);

-- A browser's session: the cookie holds a random token, the table only
-- its SHA-256. Ending the session on a phone sets ended_at.
CREATE TABLE webchat_sessions (
    token_hash   bytea       PRIMARY KEY,
    ref          text        NOT NULL REFERENCES webchat_people (ref) ON DELETE CASCADE,
    csrf         text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz
);
CREATE INDEX webchat_sessions_ref ON webchat_sessions (ref);

-- The durable outbox of the page: what the bot said (and what the person
-- wrote, for the history), in order; the id is the event id of the
-- server-sent events, so a page that reconnects asks for what follows the
-- last it saw. An erasure deletes the person's rows.
CREATE TABLE webchat_messages (
    id        bigserial   PRIMARY KEY,
    ref       text        NOT NULL REFERENCES webchat_people (ref) ON DELETE CASCADE,
    at        timestamptz NOT NULL,
    mine      boolean     NOT NULL DEFAULT false,
    body      jsonb       NOT NULL,
    file_name text,
    file_mime text,
    file_data bytea
);
CREATE INDEX webchat_messages_ref ON webchat_messages (ref, id);

-- Web Push subscriptions (RFC 8030/8291) of a person's browsers; a
-- notification says only that an answer arrived.
CREATE TABLE webchat_push (
    endpoint   text        PRIMARY KEY,
    ref        text        NOT NULL REFERENCES webchat_people (ref) ON DELETE CASCADE,
    p256dh     text        NOT NULL,
    auth       text        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX webchat_push_ref ON webchat_push (ref);

-- The server's VAPID key pair (RFC 8292), made at first start: one row.
CREATE TABLE webchat_vapid (
    id          integer     PRIMARY KEY CHECK (id = 1),
    public_key  text        NOT NULL,
    private_key text        NOT NULL,
    created_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE webchat_vapid;
DROP TABLE webchat_push;
DROP TABLE webchat_messages;
DROP TABLE webchat_sessions;
DROP TABLE webchat_people;
