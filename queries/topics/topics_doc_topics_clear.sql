-- forgets a run's topic of each text, before the run writes it again
delete from doc_topics where run_id = $run_id
