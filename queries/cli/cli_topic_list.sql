-- one row per registry topic: its texts in [$start, $end) of run $run_id's assignment,
-- counted as the report counts them (topic_rollup_of: a sub-theme's texts count under its
-- issue too, a merged topic's under the topic it was merged into), and its most typical
-- text as a quote (`pulse topics list`)
with week_docs as (
    select r.theme_id, r.issue_id, d.probability, f.text_redacted
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    where d.run_id = $run_id and f.created_at >= $start and f.created_at < $end
),

volumes as (
    select theme_id as topic_id, count(*) as volume,
        arg_max(text_redacted, probability) as quote
    from week_docs group by theme_id
    union all
    select issue_id, count(*), arg_max(text_redacted, probability)
    from week_docs where issue_id is distinct from theme_id group by issue_id
)

select t.topic_id, t.label, t.status, t.merged_into, t.keywords,
    coalesce(v.volume, 0), v.quote, coalesce(t.level, 'theme'), t.parent_id
from topics as t
left join volumes as v using (topic_id)
order by coalesce(v.volume, 0) desc, t.topic_id
