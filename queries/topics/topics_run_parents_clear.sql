-- forgets a run's issue of each sub-theme, before the run writes it again
delete from run_topic_parents where run_id = $run_id
