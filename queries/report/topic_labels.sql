-- one row per topic of the registry: its id, the label the report shows (CX ops' name
-- when the taxonomy file gives one), and whether the run ranked it: a ranked topic was
-- not praise in that week, whatever the tone of a later run has marked its label since.
with ranked as (
    select distinct topic_id
    from ranked_issues
    where run_id = $run_id
),

final as (
    select
        topics.topic_id,
        topics.label,
        ranked.topic_id is not null as is_ranked
    from topics
    left join ranked using (topic_id)
)

select * from final
