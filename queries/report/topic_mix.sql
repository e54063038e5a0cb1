-- one row per issue, dimension (channel | tier) and value in the target week: its share of the
-- issue
with week_docs as (
    select
        r.issue_id as topic_id,
        f.channel,
        f.member_tier
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    -- each text under its issue, after CX ops' edits (topic_rollup); hidden ones left out
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    where d.run_id = $run_id
      and r.is_visible
      and f.created_at >= $week_start and f.created_at < $week_end
),

unpivoted as (
    select topic_id, 'channel' as dimension, channel as value from week_docs where channel is not null
    union all
    select topic_id, 'tier' as dimension, member_tier as value from week_docs
    where member_tier is not null
),

final as (
    select
        topic_id,
        dimension,
        value,
        count(*) as text_count,
        count(*) / sum(count(*)) over (partition by topic_id, dimension) as share
    from unpivoted
    group by topic_id, dimension, value
)

select * from final
order by topic_id, dimension, share desc, value
