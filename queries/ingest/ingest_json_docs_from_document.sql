-- one row per top-level JSON value of a whole-document file, numbered from 1
create temp table ingest_json_docs as
select rowid + 1 as line, json as doc from ingest_json_objects
