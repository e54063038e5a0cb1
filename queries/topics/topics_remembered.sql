-- one row per text of window_ids (feedback_id, position; registered by
-- pulse/topics/assignments.py) that an earlier fit clustered: the topic it had then
select w.position, m.topic_id
from window_ids as w
inner join topic_doc_memory as m using (feedback_id)
