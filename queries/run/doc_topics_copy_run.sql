-- gives run $run_id the topic assignment of the earlier run $reused (same texts, same seeds)
insert into doc_topics
select $run_id, feedback_id, topic_id, probability
from doc_topics
where run_id = $reused
