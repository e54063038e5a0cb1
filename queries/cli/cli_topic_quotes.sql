-- the $n newest texts of the topics $members in run $run_id, most typical first on a tie
-- (`pulse topics show`)
select f.feedback_id, f.text_redacted
from doc_topics as d
inner join feedback as f using (feedback_id)
where d.run_id = $run_id and list_contains($members, d.topic_id)
order by f.created_at desc, d.probability desc, f.feedback_id
limit $n
