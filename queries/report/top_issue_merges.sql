-- one row per issue in the top $top of last week's report ($prev_week, its newest
-- successful run) that CX ops have since merged into another topic: its rank and texts
-- then, and the label of the topic it now counts under.
with last_report as (
    select run_id
    from runs
    where week = $prev_week and outcome = 'ok'
    order by finished_at desc
    limit 1
),

final as (
    select
        r.topic_id,
        t.label,
        r.rank as prev_rank,
        r.volume as prev_volume,
        target.label as merged_into_label
    from ranked_issues as r
    inner join last_report using (run_id)
    inner join topics as t using (topic_id)
    inner join topics as target on target.topic_id = t.merged_into
    where r.rank <= $top and t.merged_into is not null
)

select * from final
order by prev_rank
