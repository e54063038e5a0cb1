-- one row per rejected record of the CSV being loaded: its physical line in the file.
-- Both ingest_file and DuckDB's reader number records, not lines (header = 1), which drifts
-- from the file's lines once a quoted field spans lines; a user opening the file needs the
-- real line. record_kind is 'row' for a parsed record (ingest_rows.line) and 'reader' for one
-- the reader could not parse (ingest_reader_rejects.line). Only the records that span lines
-- (ingest_multiline_raw) are measured: every other record is one line.
with spans as (
    select line, length(raw) - length(replace(raw, chr(10), '')) as extra_lines
    from ingest_multiline_raw
),

-- extra lines of the multi-line records up to and including this one
extra_so_far as (
    select line, sum(extra_lines) over (order by line) as extra_lines
    from spans
),

records as (
    select count(*) as record_count, coalesce(max(line), $header_lines) as last_line
    from ingest_raw_text
),

-- a skipped record sits just before the parsed record numbered `position`
skipped as (
    select line, line - row_number() over (order by line) + 1 as position,
        row_number() over (order by line) as skipped_no
    from ingest_reader_rejects
),

skipped_by_position as (
    select position, max(skipped_no) as skipped_so_far from skipped group by position
),

-- a parsed record's first line if no record had been skipped by the reader: its number
-- plus the extra lines of the multi-line records before it
rejected_starts as (
    select rows.line, rows.line + coalesce(before.extra_lines, 0) as start_line
    from ingest_rows as rows
    asof left join extra_so_far as before on before.line < rows.line
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
    asof left join skipped_by_position on skipped_by_position.position <= rejected_starts.line
),

following_starts as (
    select skipped.line, skipped.position + coalesce(before.extra_lines, 0) as start_line
    from skipped
    asof left join extra_so_far as before on before.line < skipped.position
),

rejected_by_reader as (
    select
        'reader' as record_kind,
        skipped.line,
        case
            when skipped.position between $header_lines + 1 and records.last_line
                then following.start_line
            -- after the last parsed record: past every line of the parsed records
            else $header_lines + 1 + records.record_count
                + coalesce((select sum(extra_lines) from spans), 0)
        end + skipped.skipped_no - 1 as physical_line
    from skipped
    cross join records
    left join following_starts as following on following.line = skipped.line
),

final as (
    select * from rejected_parsed
    union all
    select * from rejected_by_reader
)

select * from final
