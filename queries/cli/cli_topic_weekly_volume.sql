-- one row per local week of run $run_id's window: the texts of the topics $members
-- (`pulse topics show`)
select local_week(f.created_at, $tz) as week, count(*) as volume
from doc_topics as d
inner join feedback as f using (feedback_id)
where d.run_id = $run_id and list_contains($members, d.topic_id)
group by 1
order by 1
