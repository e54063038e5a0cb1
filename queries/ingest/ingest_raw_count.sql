-- one row: how many records the batch's reader produced
select count(*) as record_count from ingest_raw
