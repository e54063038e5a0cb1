-- removes run $run_id's rows from the weekly_kpis mart (a re-render computes them again)
delete from weekly_kpis
where run_id = $run_id
