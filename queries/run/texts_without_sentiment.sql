-- one row per text with no sentiment from model $model yet, in feedback_id order: what the
-- sentiment stage scores (streamed a chunk at a time)
select
    f.feedback_id,
    f.text,
    f.text_hash
from feedback as f
left join sentiment as s on s.feedback_id = f.feedback_id and s.model = $model
where s.feedback_id is null
order by f.feedback_id
