-- one row per text of run $run_id's window ($window_start to $window_end, local weeks in
-- time zone $tz): its redacted text, the key of its cached vector, the sub-theme the run
-- clustered it into (-1: none) and its week. What a seed would claim is decided on these,
-- as the topic stage decides it on the same window. Ordered by id, so positions are stable.
with final as (
    select
        f.feedback_id,
        f.text_redacted,
        f.text_hash,
        coalesce(d.topic_id, -1) as clustered_id,
        local_week(f.created_at, $tz) as week
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    where d.run_id = $run_id
      and f.created_at >= $window_start and f.created_at < $window_end
)

select * from final
order by feedback_id
