-- one row per topic of the registry: its id and the label the report shows (CX ops' name
-- when the taxonomy file gives one).
with final as (
    select topic_id, label
    from topics
)

select * from final
