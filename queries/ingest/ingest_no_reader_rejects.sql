-- an empty ingest_reader_rejects, for a reader that rejects no record by itself
create temp table ingest_reader_rejects (line bigint, reason varchar, raw varchar)
