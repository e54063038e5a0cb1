-- Ingestion's additions to the contracts in schema.sql. Idempotent: run at every connect
-- (pulse.ingest runs it too before loading, so it works before connect does).

-- What loaded_files records beyond schema.sql, so every file's equation is checkable:
-- rows_in = rows_loaded + rows_rejected + rows_duplicate, where rows_in counts the records
-- that are feedback candidates; rows_filtered (e.g. a brand's own replies) are not among them.
alter table loaded_files add column if not exists rows_filtered bigint default 0;
alter table loaded_files add column if not exists rows_new bigint default 0;
alter table loaded_files add column if not exists rows_updated bigint default 0;
alter table loaded_files add column if not exists seconds double;
