-- one row: the records a mapping's staging query set aside as not feedback (TWCS brand
-- replies), the records read less the feedback candidates
select (select count(*) from ingest_file) - (select count(*) from ingest_input) as set_aside_count
