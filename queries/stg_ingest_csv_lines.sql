-- one row per rejected record of the CSV being loaded: its physical line in the file.
-- Both ingest_file and DuckDB's reader number records, not lines (header = 1), which drifts
-- from the file's lines once a quoted field spans lines; a user opening the file needs the
-- real line. record_kind is 'row' for a parsed record (ingest_rows.line) and 'reader' for one
-- the reader could not parse (ingest_reader_rejects.line).
with spans as (
    select
        line,
        1 + length(raw) - length(replace(raw, chr(10), '')) as line_count
    from ingest_raw_text
),

-- a parsed record's first line if no record had been skipped by the reader
parsed as (
    select
        line,
        line_count,
        $header_lines + 1 + coalesce(
            sum(line_count) over (order by line rows between unbounded preceding and 1 preceding),
            0
        ) as start_line
    from spans
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

rejected_parsed as (
    select
        'row' as record_kind,
        parsed.line,
        -- every skipped record placed at or before this one pushes it down a line
        parsed.start_line + coalesce(skipped_by_position.skipped_so_far, 0) as physical_line
    from parsed
    asof left join skipped_by_position on skipped_by_position.position <= parsed.line
    where parsed.line in (select line from ingest_rows where status = 'reject')
),

rejected_by_reader as (
    select
        'reader' as record_kind,
        skipped.line,
        coalesce(
            following.start_line,
            $header_lines + 1 + (select coalesce(sum(line_count), 0) from parsed)
        ) + skipped.skipped_no - 1 as physical_line
    from skipped
    left join parsed as following on following.line = skipped.position
),

final as (
    select * from rejected_parsed
    union all
    select * from rejected_by_reader
)

select * from final
