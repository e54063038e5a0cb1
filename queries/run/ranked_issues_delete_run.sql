-- removes run $run_id's rows from the ranked_issues mart (a re-render computes them again)
delete from ranked_issues
where run_id = $run_id
