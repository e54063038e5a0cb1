-- stores queries/marts/ranked_issues.sql's result (the registered table result_rows) under run $run_id
insert into ranked_issues by name
select $run_id as run_id, *
from result_rows
