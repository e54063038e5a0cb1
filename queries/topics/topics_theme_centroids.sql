-- one row per sub-theme (theme) with a centroid, by id: what a fitted cluster may match
select topic_id, centroid
from topics
where centroid is not null and coalesce(level, 'theme') = 'theme'
order by topic_id
