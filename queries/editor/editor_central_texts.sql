-- the $n texts of topic $topic_id (as clustered in run $run_id) closest in meaning to the
-- topic's centre: one row per text, most central first. Cosine between each text's cached
-- vector (model $model) and the registry's centroid; ties by id, so the pick is the same
-- on every call.
with members as (
    select d.feedback_id, f.text_redacted, f.text_hash
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    where d.run_id = $run_id and d.topic_id = $topic_id
),

scored as (
    select
        m.feedback_id,
        m.text_redacted,
        list_cosine_similarity(e.vector, t.centroid) as centre_cosine
    from members as m
    inner join embeddings as e on e.text_hash = m.text_hash and e.model = $model
    inner join (select centroid from topics where topic_id = $topic_id) as t
        on len(t.centroid) = len(e.vector)
),

final as (
    select feedback_id, text_redacted, centre_cosine
    from scored
    order by centre_cosine desc, feedback_id
    limit $n
)

select * from final
