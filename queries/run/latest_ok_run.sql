-- at most one row: the newest successful run of week $week, with what it recorded
select
    run_id,
    timings,
    row_counts
from runs
where week = $week and outcome = 'ok'
order by finished_at desc
limit 1
