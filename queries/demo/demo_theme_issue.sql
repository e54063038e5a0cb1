-- one row per issue holding any of the given demo texts in one run, most texts first: the
-- first row is the issue a demo theme's planted action belongs to (pulse/demo/actions.py).
-- Texts are named by their external id within the demo's own sources, as truth.json names
-- them.
with theme_texts as (
    select r.issue_id
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    where d.run_id = $run_id
      and list_contains($sources, f.source)
      and list_contains($external_ids, f.external_id)
),

final as (
    select issue_id, count(*) as text_count
    from theme_texts
    group by issue_id
)

select * from final
order by text_count desc, issue_id
