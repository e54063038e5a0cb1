-- records a loaded file by its reading's fingerprint (bytes + mapping + settings), so the
-- same bytes read the same way are skipped next time
insert into loaded_files (
    fingerprint, file_sha256, source, file, rows_in, rows_loaded, rows_rejected,
    rows_duplicate, rows_filtered, rows_new, rows_updated, seconds, loaded_at, reject_summary
)
values (
    $fingerprint, $file_sha256, $source, $file, $rows_in, $rows_loaded, $rows_rejected,
    $rows_duplicate, $rows_filtered, $rows_new, $rows_updated, $seconds, $now, $reject_summary
)
