-- an empty ingest_physical_lines for a file that is not CSV: its records' lines are its own
create temp table ingest_physical_lines (record_kind varchar, line bigint, physical_line bigint)
