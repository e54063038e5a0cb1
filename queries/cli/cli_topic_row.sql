-- at most one row: topic $id as the registry holds it (`pulse topics show`)
select topic_id, label, auto_label, status, keywords, first_seen_week, last_seen_week,
    merged_into, owner, notes
from topics where topic_id = $id
