-- a topic matched again this run (a sub-theme or an issue) takes the new centroid, keywords
-- and name; CX ops' hide and merge stay, and NEW lasts while it is first seen this week
update topics set
    centroid = $centroid,
    keywords = $keywords,
    auto_label = $auto_label,
    label_keywords = coalesce($label_keywords, label_keywords),
    last_seen_week = greatest(last_seen_week, $last_seen),
    first_seen_week = least(first_seen_week, $week),
    status = case when status in ('hidden', 'merged') then status
                  when first_seen_week >= $week then 'new'
                  else 'active' end
where topic_id = $topic_id
