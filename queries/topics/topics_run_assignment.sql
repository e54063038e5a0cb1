-- one row per text of run $run_id's assignment, by feedback_id: its topic (null:
-- unassigned) and text hash, for the seeds that claim texts of an already clustered week
-- (pulse/topics/seeding.py)
select d.feedback_id, d.topic_id, f.text_hash
from doc_topics as d
inner join feedback as f using (feedback_id)
where d.run_id = $run_id
order by d.feedback_id
