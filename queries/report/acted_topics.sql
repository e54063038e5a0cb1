-- one row per topic an action was recorded on ($topic_ids): the topic its texts count under
-- (its merge target, or itself), that topic's label and owner, and whether reports show it.
-- pulse/report/verdicts.py leaves out actions on hidden topics, as the report does.
with final as (
    select
        t.topic_id,
        t.merged_into,
        target.topic_id as issue_id,
        target.label,
        is_shown(target.status) as is_visible,
        target.owner
    from topics as t
    inner join topics as target on target.topic_id = coalesce(t.merged_into, t.topic_id)
    where list_contains($topic_ids, t.topic_id)
)

select * from final
