-- one row per issue with texts this week or last: its share of the week's change in texts
-- and in negative texts. A last row (topic_id null) holds the texts no visible issue holds
-- (unassigned, hidden), so each column adds up exactly to the change of the week's totals
-- in weekly_kpis. Reads the issue rows of topic_week_metrics and weekly_kpis of one run.
with issues as (
    select
        topic_id,
        coalesce(max(volume) filter (where week = $week), 0) as volume,
        coalesce(max(volume) filter (where week = $prev_week), 0) as prev_volume,
        coalesce(max(negative_count) filter (where week = $week), 0) as negative_count,
        coalesce(max(negative_count) filter (where week = $prev_week), 0)
            as prev_negative_count
    from topic_week_metrics
    where run_id = $run_id and level = 'issue' and week in ($week, $prev_week)
    group by topic_id
),

totals as (
    select
        coalesce(max(volume) filter (where week = $week), 0) as volume,
        coalesce(max(volume) filter (where week = $prev_week), 0) as prev_volume,
        coalesce(max(negative_count) filter (where week = $week), 0) as negative_count,
        coalesce(max(negative_count) filter (where week = $prev_week), 0)
            as prev_negative_count
    from weekly_kpis
    where run_id = $run_id and week in ($week, $prev_week)
),

issue_sums as (
    select
        coalesce(sum(volume), 0) as volume,
        coalesce(sum(prev_volume), 0) as prev_volume,
        coalesce(sum(negative_count), 0) as negative_count,
        coalesce(sum(prev_negative_count), 0) as prev_negative_count
    from issues
),

rest as (
    select
        cast(null as integer) as topic_id,
        t.volume - s.volume as volume,
        t.prev_volume - s.prev_volume as prev_volume,
        t.negative_count - s.negative_count as negative_count,
        t.prev_negative_count - s.prev_negative_count as prev_negative_count
    from totals as t
    cross join issue_sums as s
),

final as (
    select
        topic_id,
        volume,
        prev_volume,
        volume - prev_volume as volume_delta,
        negative_count,
        prev_negative_count,
        negative_count - prev_negative_count as negative_delta
    from (select * from issues union all select * from rest)
)

select * from final
order by abs(volume_delta) desc, topic_id nulls last
