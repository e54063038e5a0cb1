-- one row per text of topic $topic_id in run $run_id's window ($window_start to
-- $window_end): the texts that count under it once CX ops' edits apply and those the run
-- clustered into it (a merged topic's own), with the key of each text's cached vector and
-- what the topic's page shows beside it. At most $limit, picked by a hash of the id, so the
-- sample spreads over the weeks and is the same on every call.
with docs as (
    select
        d.feedback_id,
        d.topic_id as clustered_id,
        p.parent_id as clustered_issue_id,
        r.theme_id,
        r.issue_id
    from doc_topics as d
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    left join run_topic_parents as p on p.run_id = $run_id and p.topic_id = d.topic_id
    where d.run_id = $run_id
),

members as (
    select feedback_id, clustered_id
    from docs
    where $topic_id in (theme_id, issue_id, clustered_id) or clustered_issue_id = $topic_id
),

final as (
    select
        f.feedback_id,
        f.text_redacted,
        f.text_hash,
        f.created_at,
        f.channel,
        s.label as sentiment_label,
        m.clustered_id
    from members as m
    inner join feedback as f using (feedback_id)
    left join sentiment as s using (feedback_id)
    where f.created_at >= $window_start and f.created_at < $window_end
    order by md5(f.feedback_id)
    limit $limit
)

select * from final
