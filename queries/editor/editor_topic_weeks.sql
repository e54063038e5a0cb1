-- one row per topic per local ISO week of run $run_id's window ($window_start to
-- $window_end, weeks in time zone $tz), at both levels. volume counts the texts that count
-- under the topic once CX ops' edits apply (topic_rollup_of: a merged topic's texts under
-- its target), hidden ones included so the editor shows what hiding leaves out; an issue
-- leaves out its hidden sub-themes, as the report does. own_volume counts the texts the
-- run clustered into the topic (an issue: into its sub-themes), so a merged topic still
-- shows what an unmerge would give back.
with docs as (
    select
        d.feedback_id,
        d.topic_id as clustered_id,
        p.parent_id as clustered_issue_id,
        r.theme_id,
        r.issue_id,
        not is_shown(theme.status) as is_theme_hidden,
        local_week(f.created_at, $tz) as week,
        s.label = 'negative' as is_negative,
        s.label is not null as has_sentiment
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    inner join topics as theme on theme.topic_id = r.theme_id
    left join run_topic_parents as p on p.run_id = $run_id and p.topic_id = d.topic_id
    left join sentiment as s using (feedback_id)
    where d.run_id = $run_id
      and f.created_at >= $window_start and f.created_at < $window_end
),

counted as (
    select feedback_id, week, is_negative, has_sentiment, theme_id as topic_id from docs
    union
    select feedback_id, week, is_negative, has_sentiment, issue_id as topic_id
    from docs
    where not is_theme_hidden
),

clustered as (
    select feedback_id, week, clustered_id as topic_id from docs
    union
    select feedback_id, week, clustered_issue_id as topic_id
    from docs
    where clustered_issue_id is not null
),

counted_weeks as (
    select
        topic_id,
        week,
        count(*) as volume,
        count(*) filter (where is_negative) as negative_count,
        count(*) filter (where has_sentiment) as sentiment_count
    from counted
    group by topic_id, week
),

clustered_weeks as (
    select topic_id, week, count(*) as own_volume
    from clustered
    group by topic_id, week
),

final as (
    select
        coalesce(c.topic_id, o.topic_id) as topic_id,
        coalesce(c.week, o.week) as week,
        coalesce(c.volume, 0) as volume,
        coalesce(c.negative_count, 0) as negative_count,
        coalesce(c.sentiment_count, 0) as sentiment_count,
        coalesce(o.own_volume, 0) as own_volume
    from counted_weeks as c
    full outer join clustered_weeks as o using (topic_id, week)
)

select * from final
order by topic_id, week
