-- one row (or none): the earlier reading of a file with these bytes, by this mapping
select
    fingerprint, source, file, rows_in, rows_loaded, rows_rejected, rows_duplicate, loaded_at,
    reject_summary
from loaded_files
where fingerprint = $fingerprint
