-- one row per text asked for by id: its redacted text, the only text an edit may copy
-- into the taxonomy file (the file is kept with the project).
with final as (
    select feedback_id, text_redacted
    from feedback
    where list_contains($feedback_ids, feedback_id)
)

select * from final
order by feedback_id
