-- registers a new topic (a sub-theme, a seed's or an issue) under the id drawn for it
insert into topics (
    topic_id, auto_label, label, keywords, centroid, first_seen_week, last_seen_week, status,
    level, label_keywords
)
values (
    $topic_id, $auto_label, $auto_label, $keywords, $centroid, $week, $last_seen, 'new',
    $level, $label_keywords
)
