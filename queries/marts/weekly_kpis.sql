-- one row per ISO week in the window: the KPIs leadership watches, each with its count,
-- and the week-over-week change of the headline ones (against the calendar week before;
-- null when that week has no data)
with feedback_weeks as (
    select
        f.*,
        local_week(f.created_at, $tz) as week,
        cast(date_trunc('week', timezone($tz, f.created_at at time zone 'UTC')) as date)
            as week_start,
        s.label as sentiment_label
    from feedback as f
    left join sentiment as s using (feedback_id)
    where f.created_at >= $window_start and f.created_at < $window_end
),

per_week as (
    select
        week,
        any_value(week_start) as week_start,
        count(*) as volume,
        count(*) filter (where kind = 'ticket') as ticket_count,
        count(*) filter (where kind = 'social') as social_count,
        count(*) filter (where channel = 'email') as email_count,
        count(*) filter (where channel = 'web') as web_count,
        count(*) filter (where channel = 'mobile') as mobile_count,
        count(*) filter (where channel = 'chat') as chat_count,
        count(*) filter (where channel = 'phone') as phone_count,
        count(*) filter (where channel = 'twitter') as twitter_count,
        count(*) filter (where channel = 'facebook') as facebook_count,
        count(*) filter (where channel = 'forum') as forum_count,
        count(*) filter (where channel = 'app_review') as app_review_count,
        count(*) filter (
            where channel is null or channel not in (
                'email', 'web', 'mobile', 'chat', 'phone', 'twitter', 'facebook', 'forum',
                'app_review'
            )
        ) as other_channel_count,
        count(*) filter (where kind = 'ticket' and channel = 'mobile') as mobile_ticket_count,
        count(*) filter (where kind = 'ticket' and channel = 'mobile')
            / nullif(count(*) filter (where kind = 'ticket'), 0) as mobile_share,
        avg(csat) as csat_mean,
        count(csat) as csat_count,
        count(*) filter (where csat = 1) as csat_1_count,
        count(*) filter (where csat = 2) as csat_2_count,
        count(*) filter (where csat = 3) as csat_3_count,
        count(*) filter (where csat = 4) as csat_4_count,
        count(*) filter (where csat = 5) as csat_5_count,
        100.0 * (count(*) filter (where nps >= 9) - count(*) filter (where nps <= 6))
            / nullif(count(nps), 0) as nps,
        count(nps) as nps_count,
        count(*) filter (where nps >= 9) as nps_promoter_count,
        count(*) filter (where nps between 7 and 8) as nps_passive_count,
        count(*) filter (where nps <= 6) as nps_detractor_count,
        median(first_response_minutes) as first_response_median_minutes,
        quantile_cont(first_response_minutes, 0.9) as first_response_p90_minutes,
        count(first_response_minutes) as first_response_count,
        median(resolution_minutes) as resolution_median_minutes,
        quantile_cont(resolution_minutes, 0.9) as resolution_p90_minutes,
        count(resolution_minutes) as resolution_count,
        count(sentiment_label) as sentiment_count,
        count(*) filter (where sentiment_label = 'negative') as negative_count,
        count(*) filter (where sentiment_label = 'negative')
            / nullif(count(sentiment_label), 0) as negative_share,
        coalesce(sum(reach) filter (where kind = 'social'), 0) as social_reach,
        -- texts from sources whose every text is a complaint (mapping feedback_type)
        count(*) filter (where feedback_type = 'complaint') as complaint_count,
        count(*) filter (where feedback_type = 'complaint') / count(*) as complaint_share
    from feedback_weeks
    group by week
),

final as (
    select
        cur.*,
        (cur.volume - prev.volume) / nullif(prev.volume, 0) as volume_wow_change,
        cur.csat_mean - prev.csat_mean as csat_mean_wow_change,
        cur.nps - prev.nps as nps_wow_change,
        (cur.first_response_median_minutes - prev.first_response_median_minutes)
            / nullif(prev.first_response_median_minutes, 0)
            as first_response_median_wow_change,
        (cur.resolution_median_minutes - prev.resolution_median_minutes)
            / nullif(prev.resolution_median_minutes, 0) as resolution_median_wow_change,
        cur.negative_share - prev.negative_share as negative_share_wow_change,
        cur.mobile_share - prev.mobile_share as mobile_share_wow_change,
        (cur.social_reach - prev.social_reach) / nullif(prev.social_reach, 0)
            as social_reach_wow_change
    from per_week as cur
    left join per_week as prev on prev.week_start = cur.week_start - interval 7 day
)

select * from final
order by week
