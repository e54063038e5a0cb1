-- one row per topic per ISO week in the window, for one run's topic assignment
-- (merged topics count under the topic they were merged into; hidden ones are left out)
with assigned as (
    select
        f.*,
        strftime(timezone($tz, f.created_at at time zone 'UTC'), '%G-W%V') as week,
        coalesce(t.merged_into, t.topic_id) as topic_id,
        s.label as sentiment_label,
        s.score as sentiment_score
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    inner join topics as t on t.topic_id = d.topic_id
    left join sentiment as s using (feedback_id)
    where d.run_id = $run_id
      and f.created_at >= $window_start and f.created_at < $window_end
),

visible as (
    select a.*
    from assigned as a
    inner join topics as t on t.topic_id = a.topic_id
    where t.status <> 'hidden'
),

week_totals as (
    select
        strftime(timezone($tz, created_at at time zone 'UTC'), '%G-W%V') as week,
        count(*) as week_volume
    from feedback
    where created_at >= $window_start and created_at < $window_end
    group by 1
),

final as (
    select
        v.topic_id,
        v.week,
        count(*) as volume,
        count(*) / any_value(wt.week_volume) as share_of_feedback,
        count(*) filter (where v.sentiment_label = 'negative') as negative_count,
        count(*) filter (where v.sentiment_label = 'negative')
            / nullif(count(v.sentiment_label), 0) as negative_share,
        count(*) filter (where v.sentiment_label = 'positive') as positive_count,
        avg(v.sentiment_score) as sentiment_mean,
        avg(v.csat) as csat_mean,
        count(v.csat) as csat_count,
        median(v.resolution_minutes) as resolution_median_minutes,
        avg(case when v.is_escalated then 1.0 else 0.0 end)
            filter (where v.is_escalated is not null) as escalated_share,
        count(*) filter (where v.member_tier in ('premium', 'recruiter'))
            / nullif(count(v.member_tier), 0) as paid_share,
        coalesce(sum(v.reach), 0) as reach_sum,
        count(*) filter (where v.kind = 'ticket') as ticket_count,
        count(*) filter (where v.kind = 'social') as social_count,
        count(*) filter (where v.channel = 'mobile') as mobile_count
    from visible as v
    inner join week_totals as wt using (week)
    group by v.topic_id, v.week
)

select * from final
order by topic_id, week
