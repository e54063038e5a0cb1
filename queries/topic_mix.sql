-- one row per topic, dimension (channel | tier) and value in the target week: its share of the topic
with week_docs as (
    select
        coalesce(t.merged_into, t.topic_id) as topic_id,
        f.channel,
        f.member_tier
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    inner join topics as t on t.topic_id = d.topic_id
    -- merged topics count under their target; hidden ones are left out
    inner join topics as shown on shown.topic_id = coalesce(t.merged_into, t.topic_id)
    where d.run_id = $run_id
      and shown.status <> 'hidden'
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
