-- records a loaded file by its content fingerprint, so the same bytes are skipped next time
insert into loaded_files (
    fingerprint, source, file, rows_in, rows_loaded, rows_rejected, rows_duplicate,
    rows_filtered, rows_new, rows_updated, seconds, loaded_at
)
values (
    $fingerprint, $source, $file, $rows_in, $rows_loaded, $rows_rejected, $rows_duplicate,
    $rows_filtered, $rows_new, $rows_updated, $seconds, $now
)
