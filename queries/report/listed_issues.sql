-- one row per issue a run's report lists: the ranked issues down to $limit, and any issue
-- below that line that is emerging or improving (a fading issue rarely ranks high), with
-- the registry's label, keywords, first week, owner and notes. Reads the materialised
-- ranked_issues of one run (all its columns: an older run's table may lack newer ones).
with listed as (
    select r.*
    from ranked_issues as r
    where r.run_id = $run_id and (r.rank <= $limit or r.is_emerging or r.is_improving)
),

final as (
    select
        listed.*,
        t.label,
        t.keywords,
        t.first_seen_week,
        t.owner,
        t.notes
    from listed
    inner join topics as t using (topic_id)
)

select * from final
order by rank
