-- the JSON Lines that are not a JSON object (ingest_checked_lines, stg_ingest_json_lines.sql's
-- result) become reader rejects, with their reason
insert into ingest_reader_rejects
select line, reason, doc from ingest_checked_lines where reason is not null
