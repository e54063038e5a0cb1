-- one row per topic per ISO week in the window, for one run's topic assignment
-- (merged topics count under the topic they were merged into; hidden ones are left out).
-- Counts travel with every share and mean so a reader (and ranked_issues.sql) can put a
-- range on it; channel columns give the topic's channel mix week by week.
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
    select
        a.*,
        -- the text says the member has been in touch about this before: a repeat contact
        regexp_matches(
            lower(a.text),
            '(contacted|emailed|messaged|called|reported|asked|wrote to|reached out)'
            || '[a-z ]{0,20} (before|already|twice|again|times|last week)'
            || '|(second|third|fourth|fifth|2nd|3rd|4th|5th) (time|ticket|email|message|request)'
            || '|(still|been) waiting|no (reply|response|answer) (yet|from|since)'
            || '|follow(ing)?[ -]?up on|same (ticket|case|issue) as'
        ) as is_repeat_contact
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
        count(v.sentiment_label) as sentiment_count,
        count(*) filter (where v.sentiment_label = 'negative') as negative_count,
        count(*) filter (where v.sentiment_label = 'negative')
            / nullif(count(v.sentiment_label), 0) as negative_share,
        count(*) filter (where v.sentiment_label = 'positive') as positive_count,
        avg(v.sentiment_score) as sentiment_mean,
        avg(v.csat) as csat_mean,
        stddev_samp(v.csat) as csat_sd,
        count(v.csat) as csat_count,
        count(*) filter (where v.csat <= 2) as csat_low_count,
        median(v.first_response_minutes) as first_response_median_minutes,
        median(v.resolution_minutes) as resolution_median_minutes,
        count(v.resolution_minutes) as resolution_count,
        count(*) filter (where v.is_escalated) as escalated_count,
        count(v.is_escalated) as escalation_known_count,
        count(*) filter (where v.is_escalated) / nullif(count(v.is_escalated), 0)
            as escalated_share,
        count(*) filter (where v.is_repeat_contact) as repeat_contact_count,
        count(*) filter (where v.is_repeat_contact) / count(*) as repeat_contact_share,
        count(*) filter (where v.member_tier in ('premium', 'recruiter')) as paid_count,
        count(v.member_tier) as tier_known_count,
        count(*) filter (where v.member_tier in ('premium', 'recruiter'))
            / nullif(count(v.member_tier), 0) as paid_share,
        coalesce(sum(v.reach), 0) as reach_sum,
        count(*) filter (where v.kind = 'ticket') as ticket_count,
        count(*) filter (where v.kind = 'social') as social_count,
        count(*) filter (where v.channel = 'email') as email_count,
        count(*) filter (where v.channel = 'web') as web_count,
        count(*) filter (where v.channel = 'mobile') as mobile_count,
        count(*) filter (where v.channel = 'chat') as chat_count,
        count(*) filter (where v.channel = 'phone') as phone_count,
        count(*) filter (where v.channel = 'twitter') as twitter_count,
        count(*) filter (where v.channel = 'facebook') as facebook_count,
        count(*) filter (where v.channel = 'forum') as forum_count,
        count(*) filter (where v.channel = 'app_review') as app_review_count,
        count(*) filter (
            where v.channel is null or v.channel not in (
                'email', 'web', 'mobile', 'chat', 'phone', 'twitter', 'facebook', 'forum',
                'app_review'
            )
        ) as other_channel_count
    from visible as v
    inner join week_totals as wt using (week)
    group by v.topic_id, v.week
)

select * from final
order by topic_id, week
