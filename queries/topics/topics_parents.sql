-- one row per given sub-theme: its issue after the last run (null: none yet)
select topic_id, parent_id
from topics
where list_contains($theme_ids, topic_id)
