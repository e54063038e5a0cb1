-- ingest_file for JSON: one row per record, its document as JSON
create temp view ingest_file as select line, doc from ingest_raw
