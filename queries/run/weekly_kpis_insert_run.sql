-- stores queries/marts/weekly_kpis.sql's result (the registered table result_rows) under run $run_id
insert into weekly_kpis by name
select $run_id as run_id, *
from result_rows
