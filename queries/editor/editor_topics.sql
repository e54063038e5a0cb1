-- one row per registry topic, as the editor lists it after CX ops' edits: its names, owner
-- and notes, level, the issue a sub-theme sits under in run $run_id (the run's grouping,
-- else the registry's), status, keywords, and the ranking's flags for week $week of that
-- run (emerging, improving), as of the run's last render.
with flags as (
    select topic_id, is_emerging, is_improving
    from ranked_issues
    where run_id = $run_id and week = $week
),

run_parents as (
    select topic_id, parent_id from run_topic_parents where run_id = $run_id
),

final as (
    select
        t.topic_id,
        t.label,
        t.auto_label,
        coalesce(t.level, 'theme') as level,
        case
            when coalesce(t.level, 'theme') = 'theme' then coalesce(p.parent_id, t.parent_id)
        end as issue_id,
        t.status,
        t.merged_into,
        t.owner,
        t.notes,
        t.keywords,
        t.first_seen_week,
        t.last_seen_week,
        coalesce(f.is_emerging, false) as is_emerging,
        coalesce(f.is_improving, false) as is_improving
    from topics as t
    left join run_parents as p using (topic_id)
    left join flags as f using (topic_id)
)

select * from final
order by topic_id
