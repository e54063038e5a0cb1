-- one row per issue per week of the 12-week window of week $week's newest successful run
-- param week: week — ISO week like 2026-W46: the window is the 12 weeks ending with it
-- param min_volume: integer — keep the issues with at least this many texts in week $week
with week_run as (
    select run_id
    from runs
    where week = $week and outcome = 'ok'
    order by finished_at desc
    limit 1
),

issue_weeks as (
    select m.*
    from topic_week_metrics as m
    inner join week_run using (run_id)
    where m.level = 'issue'
),

kept as (
    select topic_id
    from issue_weeks
    where week = $week and volume >= $min_volume
),

final as (
    select
        m.topic_id,
        t.label as issue_name,
        m.week,
        m.volume,
        m.share_of_feedback,
        m.negative_count,
        m.negative_share,
        m.csat_mean,
        m.csat_count
    from issue_weeks as m
    inner join kept using (topic_id)
    left join topics as t on t.topic_id = m.topic_id
)

select * from final
order by topic_id, week
