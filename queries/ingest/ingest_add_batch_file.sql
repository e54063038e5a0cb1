-- numbers one file of the batch (file_no), with the sha256 of its bytes and its reading's
-- fingerprint (what loaded_files remembers it by)
insert into ingest_batch_files values ($file_no, $file, $file_sha256, $fingerprint)
