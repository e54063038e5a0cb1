-- one row per issue that was in last week's top $top of one run's ranking and is below it
-- this week, with both weeks' rank and texts: what the report says left the top (resolved,
-- faded or overtaken, decided from the counts). Reads the materialised ranked_issues.
with final as (
    select
        r.topic_id,
        t.label,
        r.rank,
        r.prev_rank,
        r.volume,
        r.prev_volume
    from ranked_issues as r
    inner join topics as t using (topic_id)
    where r.run_id = $run_id and r.prev_rank <= $top and r.rank > $top
)

select * from final
order by prev_rank
