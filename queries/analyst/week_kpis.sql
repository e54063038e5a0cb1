-- one row per week of the 12-week window of week $week's newest successful run: the KPIs
-- param week: week — ISO week like 2026-W46: the window is the 12 weeks ending with it
with week_run as (
    select run_id
    from runs
    where week = $week and outcome = 'ok'
    order by finished_at desc
    limit 1
),

final as (
    select
        k.week,
        k.week_start,
        k.volume,
        k.ticket_count,
        k.social_count,
        k.negative_count,
        k.negative_share,
        k.csat_mean,
        k.csat_count,
        k.nps,
        k.nps_count,
        k.first_response_median_minutes,
        k.resolution_median_minutes,
        k.volume_wow_change,
        k.negative_share_wow_change
    from weekly_kpis as k
    inner join week_run using (run_id)
)

select * from final
order by week
