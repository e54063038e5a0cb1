-- one row per ISO week in the window: the KPIs leadership watches
with feedback_weeks as (
    select
        f.*,
        strftime(timezone($tz, f.created_at at time zone 'UTC'), '%G-W%V') as week,
        s.label as sentiment_label
    from feedback as f
    left join sentiment as s using (feedback_id)
    where f.created_at >= $window_start and f.created_at < $window_end
),

final as (
    select
        week,
        count(*) as volume,
        count(*) filter (where kind = 'ticket') as ticket_count,
        count(*) filter (where kind = 'social') as social_count,
        count(*) filter (where kind = 'ticket' and channel = 'mobile') as mobile_ticket_count,
        count(*) filter (where kind = 'ticket' and channel = 'mobile')
            / nullif(count(*) filter (where kind = 'ticket'), 0) as mobile_share,
        avg(csat) as csat_mean,
        count(csat) as csat_count,
        100.0 * (count(*) filter (where nps >= 9) - count(*) filter (where nps <= 6))
            / nullif(count(nps), 0) as nps,
        count(nps) as nps_count,
        median(first_response_minutes) as first_response_median_minutes,
        quantile_cont(first_response_minutes, 0.9) as first_response_p90_minutes,
        count(first_response_minutes) as first_response_count,
        median(resolution_minutes) as resolution_median_minutes,
        quantile_cont(resolution_minutes, 0.9) as resolution_p90_minutes,
        count(*) filter (where sentiment_label = 'negative') as negative_count,
        count(*) filter (where sentiment_label = 'negative')
            / nullif(count(sentiment_label), 0) as negative_share,
        coalesce(sum(reach) filter (where kind = 'social'), 0) as social_reach
    from feedback_weeks
    group by week
)

select * from final
order by week
