-- each JSON record as text, for rejected_rows.raw
create temp view ingest_raw_text as select line, doc::varchar as raw from ingest_raw
