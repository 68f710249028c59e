-- November 2026 in a database at migration 00050, every commune code one of
-- the unofficial running numbers (testdata/communes-unofficial.csv). Times
-- carry their offset; +07 is Vietnam.

-- 60 people: Hiệp Hoà 00149, Tân Yên 00557, Bắc Giang 00067, Kinh Bắc 00175
-- and Đại Đồng 00176, a few registered in October or December.
INSERT INTO people (external_id, chat_ref, commune_code, created_at, full_name)
SELECT 'p' || g, 'p' || g,
       (ARRAY['00149', '00557', '00067', '00175', '00149', '00557', '00149', '00176'])[1 + g % 8],
       timestamptz '2026-10-30 20:00+07' + g * interval '13 hours', 'Người thử'
  FROM generate_series(1, 60) g;
-- One without a commune yet.
INSERT INTO people (external_id, chat_ref, created_at) VALUES ('p0', 'p0', '2026-11-10 09:00+07');

-- A case per person with a commune: job (with trades), course, loan or
-- other; one in three closed two days later with an outcome and a rating.
INSERT INTO cases (person_id, kind, status, commune_code, answers, opened_at, first_response_at, closed_at, outcome, rating)
SELECT p.id,
       (ARRAY['job', 'course', 'loan', 'other'])[1 + p.id % 4],
       CASE WHEN p.id % 3 = 0 THEN 'closed' ELSE 'new' END,
       p.commune_code,
       CASE WHEN p.id % 4 = 0 THEN '{"trades": ["garment", "cooking"]}'::jsonb
            WHEN p.id % 8 = 1 THEN '{"trades_other": "thợ mộc"}'::jsonb ELSE '{}'::jsonb END,
       p.created_at + interval '1 hour',
       p.created_at + interval '1 hour' + (p.id % 5 + 1) * interval '1 hour',
       CASE WHEN p.id % 3 = 0 THEN p.created_at + interval '2 days' END,
       CASE WHEN p.id % 3 = 0 THEN (ARRAY['job_found', 'enrolled', 'unreachable'])[1 + p.id % 3 + (p.id / 3) % 2] END,
       CASE WHEN p.id % 3 = 0 THEN 1 + p.id % 5 END
  FROM people p WHERE p.commune_code IS NOT NULL;

-- Staff scopes: an officer of two communes, one whose list also holds a
-- code the map does not know (kept as it is), a counsellor of the province.
INSERT INTO staff (role, communes, display_name) VALUES
    ('officer', '{00149,00557}', 'Cán bộ xã Hiệp Hoà'),
    ('officer', '{00067,12345}', 'Cán bộ phường Bắc Giang'),
    ('counsellor', '{}', 'Chị Lan');

-- Loan days in Hiệp Hoà and Tân Yên with bookings (one cancelled).
INSERT INTO loan_days (commune_code, day, place, starts_at, ends_at, capacity) VALUES
    ('00149', '2026-11-10', 'UBND xã Hiệp Hoà', '07:30', '11:00', 20),
    ('00149', '2026-11-24', 'UBND xã Hiệp Hoà', '07:30', '11:00', 20),
    ('00557', '2026-11-17', 'UBND xã Tân Yên', '07:30', '11:00', 20);
INSERT INTO appointments (loan_day_id, person_id, status, created_at, cancelled_at)
SELECT 1 + p.id % 3, p.id, CASE WHEN p.id % 7 = 0 THEN 'cancelled' ELSE 'booked' END,
       timestamptz '2026-11-05 10:00+07' + p.id * interval '5 hours',
       CASE WHEN p.id % 7 = 0 THEN timestamptz '2026-11-28 10:00+07' END
  FROM people p WHERE p.id <= 30;

-- A course and a scheduled announcement.
INSERT INTO courses (trade, title, provider, commune_code, start_date, length_value, length_unit, seats_total, enrol_deadline)
VALUES ('garment', 'May công nghiệp', 'Trường mẫu Kinh Bắc', '00175', '2026-12-14', 8, 'week', 25, '2026-12-07');
INSERT INTO broadcasts (author_staff_id, author_chat_id, status, body, communes, scheduled_at)
VALUES (1, 1, 'scheduled', 'Ngày hội việc làm', '{00149,00557}', '2026-12-05 08:00+07');
