-- one row: the texts of the report's week in one run's topic assignment, and how many of
-- them no topic holds (the coverage section's "did not fit any issue").
with week_docs as (
    select d.topic_id
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    where d.run_id = $run_id and f.created_at >= $week_start and f.created_at < $week_end
),

final as (
    select
        count(*) filter (where topic_id is null) as unassigned_count,
        count(*) as text_count
    from week_docs
)

select * from final
