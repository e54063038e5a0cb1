-- one row per topic per ISO week in the window, for one run's topic assignment, at two
-- levels: 'issue' (what the ranking works on) and 'theme' (the sub-themes an issue's page
-- lists). An issue's rows add up its sub-themes' texts. Texts count where topic_rollup puts
-- them after CX ops' edits (merged topics under their target, hidden ones left out).
-- Counts travel with every share and mean so a reader (and ranked_issues.sql) can put a
-- range on it; channel columns give the topic's channel mix week by week.
with assigned as (
    select
        f.*,
        local_week(f.created_at, $tz) as week,
        r.theme_id,
        r.issue_id,
        s.label as sentiment_label,
        s.score as sentiment_score,
        -- the text says the member has been in touch about this before: a repeat contact
        regexp_matches(
            lower(f.text),
            '(contacted|emailed|messaged|called|reported|asked|wrote to|reached out)'
            || '[a-z ]{0,20} (before|already|twice|again|times|last week)'
            || '|(second|third|fourth|fifth|2nd|3rd|4th|5th) (time|ticket|email|message|request)'
            || '|(still|been) waiting|no (reply|response|answer) (yet|from|since)'
            || '|follow(ing)?[ -]?up on|same (ticket|case|issue) as'
        ) as is_repeat_contact
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    left join sentiment as s using (feedback_id)
    where d.run_id = $run_id
      and r.is_visible
      and f.created_at >= $window_start and f.created_at < $window_end
),

visible as (
    select *, 'issue' as level, issue_id as topic_id from assigned
    union all
    select *, 'theme' as level, theme_id as topic_id from assigned
),

week_totals as (
    select
        local_week(created_at, $tz) as week,
        count(*) as week_volume
    from feedback
    where created_at >= $window_start and created_at < $window_end
    group by 1
),

final as (
    select
        v.level,
        v.topic_id,
        v.week,
        count(*) as volume,
        count(*) / any_value(wt.week_volume) as share_of_feedback,
        count(v.sentiment_label) as sentiment_count,
        count(*) filter (where v.sentiment_label = 'negative') as negative_count,
        count(*) filter (where v.sentiment_label = 'negative')
            / nullif(count(v.sentiment_label), 0) as negative_share,
        count(*) filter (where v.sentiment_label = 'positive') as positive_count,
        -- ordered, so the sum of doubles is the same on every run (parallel order is not)
        avg(v.sentiment_score order by v.feedback_id) as sentiment_mean,
        avg(v.csat) as csat_mean,
        stddev_samp(v.csat order by v.feedback_id) as csat_sd,
        count(v.csat) as csat_count,
        count(*) filter (where v.csat <= 2) as csat_low_count,
        -- NPS as weekly_kpis counts it (promoters 9-10, detractors 0-6), so the issues' NPS
        -- changes can be added up to the week's (kpi_moves.sql)
        count(v.nps) as nps_count,
        count(*) filter (where v.nps >= 9) as nps_promoter_count,
        count(*) filter (where v.nps <= 6) as nps_detractor_count,
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
    group by v.level, v.topic_id, v.week
)

select * from final
order by level, topic_id, week
