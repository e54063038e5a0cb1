-- one row per record of the files just staged that did not load: reader failures, failed
-- checks ('rejected') and rows whose key another line holds ('duplicate'), each under its
-- own file and its physical line there (from ingest_physical_lines where known)
insert into rejected_rows (source, file, line, reason, raw, status)
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

readers as (
    select
        coalesce(physical.physical_line, reader.line) as line,
        reader.reason,
        left(reader.raw, $raw_max_chars) as raw,
        'rejected' as status
    from ingest_reader_rejects as reader
    left join ingest_physical_lines as physical
        on physical.record_kind = 'reader' and physical.line = reader.line
),

final as (
    select
        $source as source,
        files.file,
        unioned.line & 4294967295 as line,
        unioned.reason,
        unioned.raw,
        unioned.status
    from (select * from checks union all select * from readers) as unioned
    inner join ingest_batch_files as files on files.file_no = unioned.line >> 32
)

select * from final order by file, line
