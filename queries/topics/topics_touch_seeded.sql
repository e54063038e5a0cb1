-- a seeded topic seen this run: its keywords, last week seen and status move on (its name
-- stays the seed's; null $keywords keep the ones it has)
update topics set
    keywords = coalesce($keywords, keywords),
    last_seen_week = greatest(last_seen_week, $last_seen),
    status = case when status in ('hidden', 'merged') then status
                  when first_seen_week >= $week then 'new' else 'active' end
where topic_id = $topic_id
