-- one row per distinct (kind, value) of the batch's rejected rows: all the reasons to
-- explain in words, few even when a wrong date format rejects a whole file
select distinct reason_kind, reason_value from ingest_rows where status = 'reject'
