-- one row per ranked issue of week $week, from that week's newest successful run, best first
-- param week: week — ISO week like 2026-W46
with week_run as (
    select run_id
    from runs
    where week = $week and outcome = 'ok'
    order by finished_at desc
    limit 1
),

final as (
    select
        r.week,
        r.rank,
        r.topic_id,
        t.label as issue_name,
        t.owner,
        r.volume,
        r.prev_volume,
        r.negative_count,
        r.negative_share,
        r.priority,
        r.is_new,
        r.is_emerging,
        r.is_improving,
        r.weeks_in_top
    from ranked_issues as r
    inner join week_run using (run_id)
    left join topics as t on t.topic_id = r.topic_id
)

select * from final
order by rank
