-- one row per topic of one level ('theme' or 'issue'): its labels and the keywords its
-- label was named for; topics merged away only when $with_merged
select topic_id, auto_label, label, label_keywords
from topics
where coalesce(level, 'theme') = $level and ($with_merged or status <> 'merged')
