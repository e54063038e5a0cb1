-- at most one row: the newest successful run of any week
select
    week,
    run_id
from runs
where outcome = 'ok'
order by finished_at desc
limit 1
