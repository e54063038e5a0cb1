-- one row per record of the file just staged that did not load: reader failures, failed
-- checks ('rejected') and rows whose key another line of the file holds ('duplicate')
insert into rejected_rows (source, file, line, reason, raw, status)
-- (line: the file's physical line where known, from ingest_physical_lines)
with checks as (
    select
        coalesce(physical.physical_line, rows.line) as line,
        rows.reason,
        left(input.raw, $raw_max_chars) as raw,
        case rows.status when 'reject' then 'rejected' else 'duplicate' end as status
    from ingest_rows as rows
    left join ingest_raw_text as input on input.line = rows.line
    left join ingest_physical_lines as physical
        on physical.record_kind = 'row' and physical.line = rows.line
    where rows.status in ('reject', 'duplicate')
),

final as (
    select line, reason, raw, status from checks
    union all
    select
        coalesce(physical.physical_line, reader.line) as line,
        reader.reason,
        left(reader.raw, $raw_max_chars) as raw,
        'rejected' as status
    from ingest_reader_rejects as reader
    left join ingest_physical_lines as physical
        on physical.record_kind = 'reader' and physical.line = reader.line
)

select $source as source, $file as file, line, reason, raw, status from final order by line
