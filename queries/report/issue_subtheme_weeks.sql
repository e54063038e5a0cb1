-- one row per sub-theme per week of one run's window: the sub-theme's texts and negative
-- texts, the issue they count under and its label, for the sub-theme list on an issue's page.
-- Reads the theme rows (level 'theme') of the materialised topic_week_metrics; topic_rollup_of
-- names each sub-theme's one issue in this run, so its sub-themes' volumes add up to its own.
with theme_issues as (
    -- every topic rolled into a sub-theme shares that sub-theme's issue: one row per theme
    select distinct theme_id, issue_id
    from topic_rollup_of($run_id)
    where is_visible
),

final as (
    select
        ti.issue_id,
        m.topic_id as theme_id,
        t.label,
        m.week,
        m.volume,
        m.negative_count
    from topic_week_metrics as m
    inner join theme_issues as ti on ti.theme_id = m.topic_id
    inner join topics as t on t.topic_id = m.topic_id
    where m.run_id = $run_id and m.level = 'theme'
)

select * from final
order by issue_id, theme_id, week
