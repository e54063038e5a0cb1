-- one row per line the CSV reader could not parse (its own line number and text), from the
-- reject tables DuckDB's read_csv fills when store_rejects is on. The line carries its
-- file's number (ingest_batch_files.file_no) in the bits above 32, as ingest_file's do.
with errors as (
    select
        (coalesce(files.file_no, 0)::bigint << 32) + errors.line as line,
        errors.error_type,
        errors.csv_line,
        row_number() over (
            partition by errors.file_id, errors.line order by errors.column_idx nulls first
        ) as error_no
    from ingest_reject_errors as errors
    left join ingest_reject_scans as scans
        on scans.scan_id = errors.scan_id and scans.file_id = errors.file_id
    left join ingest_batch_files as files on files.file = scans.file_path
),

final as (
    select
        line,
        case error_type
            when 'INVALID ENCODING' then 'undecodable bytes (not the declared encoding)'
            when 'MISSING COLUMNS' then 'too few columns'
            when 'TOO MANY COLUMNS' then 'too many columns'
            when 'UNQUOTED VALUE' then 'malformed quoting'
            when 'LINE SIZE OVER MAXIMUM' then 'line too long'
            else 'unreadable row (' || lower(error_type) || ')'
        end as reason,
        csv_line as raw
    from errors
    where error_no = 1
)

select * from final
