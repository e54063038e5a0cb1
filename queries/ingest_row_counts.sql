-- one row: how the staged file's rows divide (before the upsert), for the file report
with loadable as (
    select rows.feedback_id, rows.updated_at, rows.created_at,
        known.feedback_id as known_id,
        coalesce(rows.updated_at, rows.created_at)
            > coalesce(known.updated_at, known.created_at) as is_newer
    from ingest_rows as rows
    left join feedback as known on known.feedback_id = rows.feedback_id
    where rows.status = 'load'
),

final as (
    select
        (select count(*) from ingest_rows) + (select count(*) from ingest_reader_rejects)
            as rows_in,
        (select count(*) from ingest_rows where status = 'load') as rows_loaded,
        (select count(*) from ingest_rows where status = 'reject')
            + (select count(*) from ingest_reader_rejects) as rows_rejected,
        (select count(*) from ingest_rows where status = 'duplicate') as rows_duplicate,
        (select count(*) from loadable where known_id is null) as rows_new,
        (select count(*) from loadable where known_id is not null and is_newer) as rows_updated
)

select * from final
