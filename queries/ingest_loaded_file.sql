-- one row (or none): the earlier load of a file with these bytes
select fingerprint, source, file, rows_in, rows_loaded, rows_rejected, rows_duplicate, loaded_at
from loaded_files
where fingerprint = $fingerprint
