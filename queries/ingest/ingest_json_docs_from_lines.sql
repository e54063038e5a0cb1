-- one row per JSON Line that is an object: its line and its document
create temp table ingest_json_docs as
select line, doc::json as doc from ingest_checked_lines where reason is null
