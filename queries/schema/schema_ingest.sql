-- Ingestion's additions to the contracts in schema.sql. Idempotent: run at every connect
-- (pulse.ingest runs it too before loading, so it works before connect does).

-- What loaded_files records beyond schema.sql, so every file's equation is checkable:
-- rows_in = rows_loaded + rows_rejected + rows_duplicate, where rows_in counts the records
-- that are feedback candidates; rows_filtered (e.g. a brand's own replies) are not among them.
alter table loaded_files add column if not exists rows_filtered bigint default 0;
alter table loaded_files add column if not exists rows_new bigint default 0;
alter table loaded_files add column if not exists rows_updated bigint default 0;
alter table loaded_files add column if not exists seconds double;

-- loaded_files.fingerprint keys a *reading*: the file's bytes (file_sha256) with the mapping
-- and settings that read them, so a file read again under a fixed mapping is not skipped.
alter table loaded_files add column if not exists file_sha256 varchar;

-- rejected_rows lists every row that did not load: 'rejected' (a fault, with the fix) or
-- 'duplicate' (the same key as a row that loads).
alter table rejected_rows add column if not exists status varchar default 'rejected';

-- What a source's texts are, from its mapping: 'complaint' (every text is one, e.g. a
-- complaints portal) or 'mixed'. The report shows the complaint share apart from the tone.
alter table feedback add column if not exists feedback_type varchar default 'mixed';

-- The reasons a file's rejected rows had (pulse.ingest.reasons.ReasonCount as JSON), so a
-- file skipped as already loaded still reports that most of it was rejected.
alter table loaded_files add column if not exists reject_summary varchar;
