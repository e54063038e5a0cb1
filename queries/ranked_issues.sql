-- one row per visible complaint topic and target week ($week and the week before it),
-- ranked by priority; the components that make up the priority are columns of their own.
-- Reads the materialised topic_week_metrics table of one run.
with weeks as (
    select
        unnest($weeks) as week
),

weeks_numbered as (
    select
        week,
        row_number() over (order by week) as week_index
    from weeks
),

topic_totals as (
    select
        topic_id,
        sum(volume) as window_volume,
        sum(negative_count) as window_negative,
        sum(positive_count) as window_positive
    from topic_week_metrics
    where run_id = $run_id
    group by topic_id
),

complaint_topics as (
    -- praise is not an issue to fix: leave out topics that are mostly positive
    select topic_id
    from topic_totals
    where not (window_positive >= 0.5 * window_volume and window_positive > window_negative)
),

grid as (
    select
        c.topic_id,
        w.week,
        w.week_index,
        coalesce(m.volume, 0) as volume,
        coalesce(m.negative_count, 0) as negative_count,
        m.negative_share,
        m.sentiment_mean,
        m.csat_mean,
        coalesce(m.csat_count, 0) as csat_count,
        m.resolution_median_minutes,
        m.escalated_share,
        m.paid_share,
        coalesce(m.reach_sum, 0) as reach_sum
    from complaint_topics as c
    cross join weeks_numbered as w
    left join topic_week_metrics as m
        on m.run_id = $run_id and m.topic_id = c.topic_id and m.week = w.week
),

with_baseline as (
    select
        *,
        lag(volume) over by_week as prev_volume,
        avg(volume) over baseline_weeks as baseline_volume,
        count(*) over baseline_weeks as baseline_week_count
    from grid
    window
        by_week as (partition by topic_id order by week_index),
        baseline_weeks as (
            partition by topic_id order by week_index
            rows between 8 preceding and 1 preceding
        )
),

target as (
    select
        *,
        -- variance-stabilised Poisson difference: about N(0, 1) when nothing changed
        2 * (sqrt(volume) - sqrt(coalesce(baseline_volume, 0))) as growth_z
    from with_baseline
    where week in ($week, $prev_week) and volume > 0
),

components as (
    select
        *,
        ln(1 + volume) / nullif(ln(1 + max(volume) over (partition by week)), 0)
            as volume_component,
        coalesce(negative_share, 0) as negativity_component,
        least(greatest(growth_z / 4.0, 0), 1) as growth_component,
        (
            coalesce((5 - csat_mean) / 4.0, 0.5)
            + coalesce(escalated_share, 0)
            + least(coalesce(resolution_median_minutes, 0) / (3 * 24 * 60.0), 1)
        ) / 3.0 as severity_component,
        (
            coalesce(paid_share, 0)
            + coalesce(ln(1 + reach_sum) / nullif(ln(1 + max(reach_sum) over (partition by week)), 0), 0)
        ) / 2.0 as reach_component
    from target
),

scored as (
    select
        *,
        100 * (
            $w_volume * volume_component
            + $w_negativity * negativity_component
            + $w_growth * growth_component
            + $w_severity * severity_component
            + $w_reach * reach_component
        ) / ($w_volume + $w_negativity + $w_growth + $w_severity + $w_reach) as priority,
        baseline_week_count >= 4 and volume >= 8 and growth_z >= 3 as is_emerging,
        baseline_week_count >= 4 and baseline_volume >= 8 and growth_z <= -3 as is_improving
    from components
),

ranked as (
    select
        *,
        row_number() over (
            partition by week order by priority desc, volume desc, topic_id
        ) as rank
    from scored
),

final as (
    select
        cur.topic_id,
        cur.week,
        cur.rank,
        prev.rank as prev_rank,
        cur.volume,
        cur.prev_volume,
        (cur.volume - cur.prev_volume) / nullif(cur.prev_volume, 0) as volume_change,
        cur.baseline_volume,
        cur.growth_z,
        cur.negative_count,
        cur.negative_share,
        cur.sentiment_mean,
        cur.csat_mean,
        cur.csat_count,
        cur.resolution_median_minutes,
        cur.escalated_share,
        cur.paid_share,
        cur.reach_sum,
        cur.volume_component,
        cur.negativity_component,
        cur.growth_component,
        cur.severity_component,
        cur.reach_component,
        cur.priority,
        cur.is_emerging,
        cur.is_improving
    from ranked as cur
    left join ranked as prev on prev.topic_id = cur.topic_id and prev.week = $prev_week
    where cur.week = $week
)

select * from final
order by rank
