-- each Parquet record as JSON text, for rejected_rows.raw
create temp view ingest_raw_text as
select f.line, to_json(r)::varchar as raw from ingest_raw as r
join ingest_file as f on f.line = r.rowid + 1
