-- the $limit most recently started runs, newest first: what `pulse status` lists
select
    run_id,
    week,
    outcome,
    started_at,
    finished_at,
    row_counts
from runs
order by started_at desc
limit $limit
