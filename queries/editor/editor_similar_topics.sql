-- the $n topics of the same level as topic $topic_id whose centroids are closest to its
-- own, one row each, closest first: the merges the editor suggests. Merged and dormant
-- topics are left out (they take no texts); ties by id.
with pairs as (
    select
        other.topic_id,
        list_cosine_similarity(this.centroid, other.centroid) as centroid_cosine
    from topics as this
    inner join topics as other
        on coalesce(other.level, 'theme') = coalesce(this.level, 'theme')
        and other.topic_id <> this.topic_id
    where this.topic_id = $topic_id
      and other.status not in ('merged', 'dormant')
      and this.centroid is not null and other.centroid is not null
      -- a centroid of the embedder the registry left (pulse/embed/choice.py) compares
      -- with none of today's
      and len(other.centroid) = len(this.centroid)
),

final as (
    select topic_id, centroid_cosine
    from pairs
    order by centroid_cosine desc, topic_id
    limit $n
)

select * from final
