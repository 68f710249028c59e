-- +goose Up
-- The desk's audit log page (issue 19) reads the log newest first, a page
-- at a time, without a filter or by day: an index on the time (with the
-- id, the page order's tie-break) spares sorting the whole log, which
-- grows with every audited view.
CREATE INDEX audit_log_at ON audit_log (at, id);

-- +goose Down
DROP INDEX audit_log_at;
