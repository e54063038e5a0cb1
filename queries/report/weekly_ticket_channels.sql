-- one row per ISO week in the window with tickets: the tickets, those whose channel is
-- known, and the mobile ones among them. The report's mobile tile divides by the tickets
-- with a channel: a source without a channel column has no mobile share, not "0% mobile"
-- (weekly_kpis.mobile_share divides by every ticket).
with ticket_weeks as (
    select
        local_week(created_at, $tz) as week,
        channel
    from feedback
    where kind = 'ticket' and created_at >= $window_start and created_at < $window_end
),

final as (
    select
        week,
        count(*) as ticket_count,
        count(channel) as ticket_channel_count,
        count(*) filter (where channel = 'mobile') as mobile_ticket_count,
        count(*) filter (where channel = 'mobile') / nullif(count(channel), 0)
            as mobile_share
    from ticket_weeks
    group by week
)

select * from final
order by week
