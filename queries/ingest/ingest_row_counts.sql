-- one row per file being loaded (ingest_batch_files): how its rows divide before the upsert,
-- for the file reports. A row's file is the number in the bits of its line above 32.
with staged as (
    select line >> 32 as file_no, status, feedback_id, updated_at, created_at
    from ingest_rows
),

loadable as (
    select
        staged.file_no,
        known.feedback_id is not null as is_known,
        coalesce(staged.updated_at, staged.created_at)
            > coalesce(known.updated_at, known.created_at) as is_newer
    from staged
    left join feedback as known on known.feedback_id = staged.feedback_id
    where staged.status = 'load'
),

by_status as (
    select
        file_no,
        count(*) as rows_staged,
        count(*) filter (where status = 'load') as rows_loaded,
        count(*) filter (where status = 'reject') as rows_rejected,
        count(*) filter (where status = 'duplicate') as rows_duplicate
    from staged
    group by file_no
),

reader as (
    select line >> 32 as file_no, count(*) as rows_unreadable
    from ingest_reader_rejects
    group by all
),

known as (
    select
        file_no,
        count(*) filter (where not is_known) as rows_new,
        count(*) filter (where is_known and is_newer) as rows_updated
    from loadable
    group by file_no
),

final as (
    select
        files.file_no,
        coalesce(by_status.rows_staged, 0) + coalesce(reader.rows_unreadable, 0) as rows_in,
        coalesce(by_status.rows_loaded, 0) as rows_loaded,
        coalesce(by_status.rows_rejected, 0) + coalesce(reader.rows_unreadable, 0)
            as rows_rejected,
        coalesce(by_status.rows_duplicate, 0) as rows_duplicate,
        coalesce(known.rows_new, 0) as rows_new,
        coalesce(known.rows_updated, 0) as rows_updated
    from ingest_batch_files as files
    left join by_status using (file_no)
    left join reader using (file_no)
    left join known using (file_no)
)

select * from final order by file_no
