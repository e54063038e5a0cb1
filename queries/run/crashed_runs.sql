-- one row per run still marked running: called under the run lock, so its process is gone
select run_id
from runs
where outcome = 'running'
