-- one row per kind of rejection in each file just staged, most frequent first (at most $top
-- a file): how many rows, the first such row's line and its full reason, for the summary a
-- mostly-rejected file prints (reader failures and failed checks; duplicates are not faults)
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

kinds as (
    select
        line >> 32 as file_no,
        kind,
        count(*) as row_count,
        min(line) & 4294967295 as first_line,
        arg_min(reason, line) as example
    from rejects
    group by all
),

final as (
    select *
    from kinds
    qualify row_number() over (partition by file_no order by row_count desc, kind) <= $top
)

select * from final order by file_no, row_count desc, kind
