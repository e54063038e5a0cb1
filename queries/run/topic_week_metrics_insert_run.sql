-- stores queries/marts/topic_week_metrics.sql's result (the registered table result_rows) under run $run_id
insert into topic_week_metrics by name
select $run_id as run_id, *
from result_rows
