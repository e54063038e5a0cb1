-- removes run $run_id's rows from the topic_week_metrics mart (a re-render computes them again)
delete from topic_week_metrics
where run_id = $run_id
