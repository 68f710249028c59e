-- +goose Up
-- Consent per purpose: every grant and every withdrawal is a row; the
-- latest row of a purpose is the person's current decision.
CREATE TABLE consents (
    id           bigserial PRIMARY KEY,
    person_id    bigint      NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    purpose      text        NOT NULL CHECK (purpose IN ('job', 'training', 'loan', 'announcements')),
    granted      boolean     NOT NULL,
    text_version text        NOT NULL,
    decided_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_person ON consents (person_id, purpose, decided_at DESC, id DESC);

-- Asked once per person in the course flow.
ALTER TABLE people ADD COLUMN vt_support_before boolean;

-- Communes and wards. search_key is the folded name (package textfold),
-- so a search ignores case, diacritics and tone-mark placement.
CREATE TABLE communes (
    code          text PRIMARY KEY,
    name          text        NOT NULL,
    full_name     text        NOT NULL,
    type          text        NOT NULL CHECK (type IN ('commune', 'ward')),
    province_code text        NOT NULL,
    search_key    text        NOT NULL,
    active        boolean     NOT NULL DEFAULT true,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX communes_search_key ON communes (search_key);

-- Short vocational courses. Money in VND; seats are taken only when a
-- counsellor confirms an enrolment.
CREATE TABLE courses (
    id             bigserial PRIMARY KEY,
    trade          text        NOT NULL,
    title          text        NOT NULL,
    provider       text        NOT NULL,
    commune_code   text        NOT NULL REFERENCES communes (code),
    start_date     date        NOT NULL,
    length_value   integer     NOT NULL CHECK (length_value > 0),
    length_unit    text        NOT NULL CHECK (length_unit IN ('day', 'week')),
    fee_vnd        bigint      NOT NULL DEFAULT 0 CHECK (fee_vnd >= 0),
    support_vnd    bigint      NOT NULL DEFAULT 0 CHECK (support_vnd >= 0),
    certificate    text        NOT NULL DEFAULT '',
    seats_total    integer     NOT NULL CHECK (seats_total >= 0),
    seats_taken    integer     NOT NULL DEFAULT 0 CHECK (seats_taken >= 0),
    enrol_deadline date        NOT NULL,
    active         boolean     NOT NULL DEFAULT true,
    sample         boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX courses_open ON courses (enrol_deadline) WHERE active;

-- A commune's transaction days of the Bank for Social Policies.
CREATE TABLE loan_days (
    id           bigserial PRIMARY KEY,
    commune_code text        NOT NULL REFERENCES communes (code),
    day          date        NOT NULL,
    place        text        NOT NULL,
    starts_at    time        NOT NULL,
    ends_at      time        NOT NULL,
    capacity     integer     NOT NULL CHECK (capacity >= 0),
    sample       boolean     NOT NULL DEFAULT false,
    UNIQUE (commune_code, day, starts_at)
);

CREATE TABLE appointments (
    id          bigserial PRIMARY KEY,
    loan_day_id bigint      NOT NULL REFERENCES loan_days (id),
    person_id   bigint      NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    status      text        NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'attended', 'missed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz
);
CREATE UNIQUE INDEX appointments_one_per_day ON appointments (loan_day_id, person_id) WHERE status = 'booked';
CREATE INDEX appointments_day ON appointments (loan_day_id) WHERE status = 'booked';

-- A request in the counsellors' queue. id is the case number people see.
CREATE TABLE cases (
    id                bigserial PRIMARY KEY,
    person_id         bigint      NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind              text        NOT NULL CHECK (kind IN ('job', 'course', 'loan', 'other')),
    status            text        NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'assigned', 'waiting', 'closed')),
    commune_code      text,
    answers           jsonb       NOT NULL DEFAULT '{}',
    course_id         bigint      REFERENCES courses (id),
    appointment_id    bigint      REFERENCES appointments (id),
    opened_at         timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    first_response_at timestamptz,
    closed_at         timestamptz,
    outcome           text,
    rating            integer CHECK (rating BETWEEN 1 AND 5),
    assignee_staff_id bigint      REFERENCES staff (id),
    topic_chat_id     bigint,
    topic_thread_id   integer
);
CREATE UNIQUE INDEX cases_one_open_per_kind ON cases (person_id, kind) WHERE status <> 'closed';
CREATE INDEX cases_queue ON cases (status, opened_at) WHERE status <> 'closed';

-- +goose Down
DROP TABLE cases;
DROP TABLE appointments;
DROP TABLE loan_days;
DROP TABLE courses;
DROP TABLE communes;
ALTER TABLE people DROP COLUMN vt_support_before;
DROP TABLE consents;
