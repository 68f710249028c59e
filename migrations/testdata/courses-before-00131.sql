-- Two courses as a database before 00131 holds them: one with the single
-- support figure, one without.
INSERT INTO communes (code, name, full_name, type, province_code, search_key, active, updated_at)
VALUES ('99001', 'Tân Yên', 'Xã Tân Yên', 'commune', '24', 'tan yen', true, '2026-11-01 00:00:00+00');
INSERT INTO courses (code, trade, title, provider, commune_code, start_date, length_value, length_unit,
                     fee_vnd, support_vnd, certificate, seats_total, seats_taken, enrol_deadline, active, sample, created_at)
VALUES ('K1', 'electric', 'Điện dân dụng', 'Trung tâm GDNN', '99001', '2026-12-14', 3, 'week',
        2800000, 3000000, '', 20, 0, '2026-12-07', true, false, '2026-11-01 00:00:00+00'),
       ('K2', 'farming', 'Trồng rau', 'Trạm khuyến nông', '99001', '2026-12-14', 10, 'day',
        0, 0, '', 20, 0, '2026-12-07', true, false, '2026-11-01 00:00:00+00');
