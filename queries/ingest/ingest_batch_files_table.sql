-- the files of one batch, numbered: a record's line carries its file's number above bit 32
create temp table ingest_batch_files
    (file_no bigint, file varchar, file_sha256 varchar, fingerprint varchar)
