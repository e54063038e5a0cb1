-- topics with no texts since $cutoff turn dormant (seeded ones, $keep, never); NEW wears off
-- after the week a topic was first seen
update topics set status = case
    when last_seen_week <= $cutoff and not list_contains($keep, topic_id) then 'dormant'
    when status = 'new' and first_seen_week < $week then 'active'
    else status end
where status in ('active', 'new')
