-- one row per kind of rejection in the file just staged, most frequent first: how many rows,
-- the first such row's line and its full reason, for the summary a mostly-rejected file
-- prints (reader failures and failed checks; duplicates are not faults)
with rejects as (
    select
        rows.reason_kind as kind,
        coalesce(physical.physical_line, rows.line) as line,
        rows.reason
    from ingest_rows as rows
    left join ingest_physical_lines as physical
        on physical.record_kind = 'row' and physical.line = rows.line
    where rows.status = 'reject'
    union all
    select
        reader.reason as kind,
        coalesce(physical.physical_line, reader.line) as line,
        reader.reason
    from ingest_reader_rejects as reader
    left join ingest_physical_lines as physical
        on physical.record_kind = 'reader' and physical.line = reader.line
),

final as (
    select
        kind,
        count(*) as row_count,
        min(line) as first_line,
        arg_min(reason, line) as example
    from rejects
    group by kind
    order by row_count desc, kind
    limit $top
)

select * from final
