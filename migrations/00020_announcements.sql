-- +goose Up
-- An announcement from commune staff. A draft row is also the composer's
-- state (step), so a restart in the middle of /announce loses nothing.
CREATE TABLE broadcasts (
    id                bigserial PRIMARY KEY,
    author_staff_id   bigint      NOT NULL REFERENCES staff (id),
    author_chat_id    bigint      NOT NULL,
    author_lang       text        NOT NULL DEFAULT 'vi',
    status            text        NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'pending_approval', 'scheduled', 'running', 'done', 'cancelled')),
    step              text        NOT NULL DEFAULT 'content',
    body              text        NOT NULL DEFAULT '',
    media_kind        text        CHECK (media_kind IN ('photo', 'document')),
    media_file_id     text,
    province_wide     boolean     NOT NULL DEFAULT false,
    communes          text[]      NOT NULL DEFAULT '{}',
    interest          text        NOT NULL DEFAULT 'all' CHECK (interest IN ('all', 'job', 'course', 'loan')),
    scheduled_at      timestamptz,
    estimate          integer     NOT NULL DEFAULT 0, -- recipients counted when confirmed
    total             integer     NOT NULL DEFAULT 0, -- deliveries created when it started
    approved_by       bigint      REFERENCES staff (id),
    cancelled_by      bigint      REFERENCES staff (id),
    cancel_reason     text,                           -- cancelled or rejected
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    started_at        timestamptz,
    finished_at       timestamptz,
    -- The author's status message, edited as delivery goes. status_claimed_at
    -- lets one process at a time edit it, at most every few seconds.
    status_chat_id    bigint,
    status_msg_id     integer,
    status_text       text,
    status_claimed_at timestamptz,
    summary_sent_at   timestamptz
);
CREATE UNIQUE INDEX broadcasts_one_draft ON broadcasts (author_staff_id) WHERE status = 'draft';
CREATE INDEX broadcasts_due ON broadcasts (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX broadcasts_author ON broadcasts (author_staff_id, id);

-- The outbox: one row per recipient, created in one INSERT ... SELECT when
-- the broadcast starts. A row in 'sending' whose claimed_at is older than
-- the lease belonged to a process that died, and is sent again.
CREATE TABLE deliveries (
    id              bigserial PRIMARY KEY,
    broadcast_id    bigint      NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    person_id       bigint      NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'unreachable', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_at      timestamptz,
    last_error      text,
    sent_at         timestamptz,
    message_id      integer,
    UNIQUE (broadcast_id, person_id)
);
CREATE INDEX deliveries_open ON deliveries (id) WHERE status IN ('pending', 'sending');
CREATE INDEX deliveries_figures ON deliveries (broadcast_id, status);

-- Token buckets shared by every worker of every bot process. tokens may go
-- below zero: that is a reservation of a future sending slot.
CREATE TABLE rate_buckets (
    key          text PRIMARY KEY,
    tokens       double precision NOT NULL,
    updated_at   timestamptz      NOT NULL,
    paused_until timestamptz
);

-- rate_reserve takes one token from the overall bucket and one from the
-- chat's (p_chat may be ''), atomically. The overall token may be reserved
-- up to p_ahead seconds in the future (reserved, send wait_s after at);
-- when it cannot be, or the chat has no token, nothing is taken and wait_s
-- says when to ask again. The clock is read after the rows are locked, so
-- every process shares the database's clock; at is that reading, so that
-- a caller can place the slot on its own clock whatever the round trip.
-- +goose StatementBegin
CREATE FUNCTION rate_reserve(p_key text, p_rate float8, p_burst float8,
                             p_chat text, p_chat_rate float8, p_chat_burst float8, p_ahead float8)
RETURNS TABLE (reserved boolean, wait_s float8, at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    t      timestamptz;
    g      rate_buckets%ROWTYPE;
    c      rate_buckets%ROWTYPE;
    g_have float8;
    c_have float8;
    wait   float8;
BEGIN
    INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (p_key, p_burst, clock_timestamp())
        ON CONFLICT (key) DO NOTHING;
    IF p_chat <> '' THEN
        INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (p_chat, p_chat_burst, clock_timestamp())
            ON CONFLICT (key) DO NOTHING;
    END IF;
    -- Lock in key order, so two reservations never deadlock.
    PERFORM 1 FROM rate_buckets WHERE key IN (p_key, p_chat) ORDER BY key FOR UPDATE;
    t := clock_timestamp();
    SELECT * INTO g FROM rate_buckets WHERE key = p_key;
    IF g.paused_until IS NOT NULL AND g.paused_until > t THEN
        RETURN QUERY SELECT false, extract(epoch FROM g.paused_until - t)::float8, t;
        RETURN;
    END IF;
    g_have := least(p_burst, g.tokens + greatest(0, extract(epoch FROM t - g.updated_at)) * p_rate);
    IF p_chat <> '' THEN
        SELECT * INTO c FROM rate_buckets WHERE key = p_chat;
        c_have := least(p_chat_burst, c.tokens + greatest(0, extract(epoch FROM t - c.updated_at)) * p_chat_rate);
        IF c_have < 1 THEN
            RETURN QUERY SELECT false, (1 - c_have) / p_chat_rate, t;
            RETURN;
        END IF;
    END IF;
    wait := greatest(0, (1 - g_have) / p_rate);
    IF wait > p_ahead THEN
        RETURN QUERY SELECT false, wait - p_ahead, t;
        RETURN;
    END IF;
    UPDATE rate_buckets SET tokens = g_have - 1, updated_at = greatest(updated_at, t) WHERE key = p_key;
    IF p_chat <> '' THEN
        UPDATE rate_buckets SET tokens = c_have - 1, updated_at = greatest(updated_at, t) WHERE key = p_chat;
    END IF;
    RETURN QUERY SELECT true, wait, t;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION rate_reserve(text, float8, float8, text, float8, float8, float8);
DROP TABLE rate_buckets;
DROP TABLE deliveries;
DROP TABLE broadcasts;
