-- the topics merged into topic $id, and its sub-themes (`pulse topics show`)
select
    list(topic_id order by topic_id) filter (where merged_into = $id) as merged_from,
    list(topic_id order by topic_id) filter (where parent_id = $id) as sub_themes
from topics
