-- ingest_file for a Parquet file: its records, numbered from 1
create temp view ingest_file as select rowid + 1 as line, * from ingest_raw
