-- one row per rejected or duplicate record of the CSV files being loaded: its physical line
-- in its file. Both ingest_file and DuckDB's reader number records, not lines (header = 1),
-- which drifts from the file's lines once a quoted field spans lines; a user opening the
-- file needs the real line. record_kind is 'row' for a parsed record (ingest_rows.line) and
-- 'reader' for one the reader could not parse (ingest_reader_rejects.line). Only the
-- records that span lines (ingest_multiline_raw) are measured: every other record is one
-- line. Lines carry their file's number in the bits above 32 (ingest_batch_files.file_no;
-- 0 for a single file), so every running count restarts with each file.
with spans as (
    select
        line,
        line >> 32 as file_no,
        length(raw) - length(replace(raw, chr(10), '')) as extra_lines
    from ingest_multiline_raw
),

-- extra lines of the multi-line records up to and including this one, in its file
extra_so_far as (
    select file_no, line, sum(extra_lines) over (partition by file_no order by line) as extra_lines
    from spans
),

extra_per_file as (
    select file_no, sum(extra_lines) as extra_lines from spans group by file_no
),

records as (
    select
        line >> 32 as file_no,
        count(*) as record_count,
        max(line & 4294967295) as last_line
    from ingest_raw_text
    group by all
),

-- a skipped record sits just before the parsed record numbered `position`
skipped as (
    select
        line,
        line >> 32 as file_no,
        line - row_number() over by_file + 1 as position,
        row_number() over by_file as skipped_no
    from ingest_reader_rejects
    window by_file as (partition by line >> 32 order by line)
),

skipped_by_position as (
    select file_no, position, max(skipped_no) as skipped_so_far
    from skipped
    group by file_no, position
),

-- a parsed record's first line if no record had been skipped by the reader: its number
-- plus the extra lines of the multi-line records before it
rejected_starts as (
    select rows.line, rows.line >> 32 as file_no, rows.line + coalesce(before.extra_lines, 0) as start_line
    from ingest_rows as rows
    asof left join extra_so_far as before
        on before.file_no = rows.line >> 32 and before.line < rows.line
    where rows.status in ('reject', 'duplicate')
),

rejected_parsed as (
    select
        'row' as record_kind,
        rejected_starts.line,
        -- every skipped record placed at or before this one pushes it down a line
        rejected_starts.start_line + coalesce(skipped_by_position.skipped_so_far, 0)
            as physical_line
    from rejected_starts
    asof left join skipped_by_position
        on skipped_by_position.file_no = rejected_starts.file_no
        and skipped_by_position.position <= rejected_starts.line
),

following_starts as (
    select skipped.line, skipped.position + coalesce(before.extra_lines, 0) as start_line
    from skipped
    asof left join extra_so_far as before
        on before.file_no = skipped.file_no and before.line < skipped.position
),

rejected_by_reader as (
    select
        'reader' as record_kind,
        skipped.line,
        case
            when (skipped.position & 4294967295)
                between $header_lines + 1 and coalesce(records.last_line, $header_lines)
                then following.start_line
            -- after the last parsed record: past every line of the parsed records
            else (skipped.file_no << 32) + $header_lines + 1 + coalesce(records.record_count, 0)
                + coalesce(extra_per_file.extra_lines, 0)
        end + skipped.skipped_no - 1 as physical_line
    from skipped
    left join records on records.file_no = skipped.file_no
    left join extra_per_file on extra_per_file.file_no = skipped.file_no
    left join following_starts as following on following.line = skipped.line
),

final as (
    select * from rejected_parsed
    union all
    select * from rejected_by_reader
)

select * from final
