-- A month of job needs for the export test (export_jobneeds_test.go), with
-- what must stay out of November 2026 in Vietnam: a need of 1 December
-- 00:30 in Vietnam (still 30 November in UTC), one of October, a course
-- request, and an erased person's need. Typed text starting with "=" must
-- not run as a formula.
INSERT INTO people (external_id, chat_ref, commune_code, created_at, last_seen_at, full_name, birth_year, gender, phone, education, erased_at)
VALUES
  ('1', '1', '07840', '2026-10-01', '2026-11-20', 'Lê Văn An',     1990, 'male',   '+84912345601', 'lower_secondary', NULL),
  ('2', '2', '07840', '2026-10-01', '2026-11-20', 'Trần Thị Bình', 1985, 'female', '+84912345602', 'upper_secondary', NULL),
  ('3', '3', '07840', '2026-10-01', '2026-11-20', 'Ngô Văn Cường', 1990, 'male',   '+84912345603', 'lower_secondary', NULL),
  ('4', '4', '07339', '2026-10-01', '2026-11-20', 'Phạm Văn Dũng', 1978, 'male',   '+84912345604', 'primary',         NULL),
  ('5', '5', '07840', '2026-10-01', '2026-11-20', 'Đỗ Văn Em',     1990, 'male',   '+84912345605', 'lower_secondary', NULL),
  ('6', '6', '07840', '2026-10-01', '2026-11-20', NULL,            1990, 'male',   '+84912345606', 'lower_secondary', '2026-11-20');

INSERT INTO cases (person_id, kind, commune_code, opened_at, answers)
SELECT p.id, c.kind, c.commune, c.opened::timestamptz, c.answers::jsonb
  FROM (VALUES
    (1, '1', 'job', '07840', '2026-11-03 09:00+07',
     '{"trades":["garment","factory"],"trades_other":"=bốc xếp","work_status":"none","qualification":"short","where":"province","hours":"full","wage":"5to7","start":"now","abroad":"maybe","priority":["disability","poor"],"barriers":["none"]}'),
    (2, '2', 'job', '07840', '2026-11-30 23:30+07',
     '{"trades":[],"trades_other":"=1+1","where":"own_commune","hours":"part","start":"month","barriers":["none"]}'),
    (3, '3', 'job', '07840', '2026-12-01 00:30+07', '{"trades":["garment"]}'),
    (4, '4', 'job', '07339', '2026-11-10 14:00+07',
     '{"trades":["factory"],"work_status":"casual","qualification":"none","where":"province","hours":"full","wage":"any","start":"now","abroad":"no","barriers":["none"]}'),
    (5, '4', 'course', '07339', '2026-11-11 10:00+07', '{}'),
    (6, '5', 'job', '07840', '2026-10-20 10:00+07', '{"trades":["garment"]}'),
    (7, '6', 'job', '07840', '2026-11-05 10:00+07', '{"trades":["garment"]}')
  ) AS c (n, who, kind, commune, opened, answers)
  JOIN people p ON p.external_id = c.who
 ORDER BY c.n; -- case numbers 1 to 7 in this order
