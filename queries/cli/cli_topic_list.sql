-- one row per registry topic: its texts in [$start, $end) of run $run_id's assignment,
-- counted as the report counts them (topic_rollup_of: a sub-theme's texts count under its
-- issue too, a merged topic's under the topic it was merged into), and as its quote the
-- text the report would quote first (`quote_order`), so a thread's "Brilliant, thank
-- you!" never stands for a topic (`pulse topics list`)
with week_docs as (
    select r.theme_id, r.issue_id, d.feedback_id, f.text_redacted,
        quote_order(f.text_redacted, s.label, d.probability) as quote_order
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    left join sentiment as s using (feedback_id)
    where d.run_id = $run_id and f.created_at >= $start and f.created_at < $end
),

members as (
    select theme_id as topic_id, feedback_id, text_redacted, quote_order from week_docs
    union all
    select issue_id, feedback_id, text_redacted, quote_order
    from week_docs where issue_id is distinct from theme_id
),

volumes as (
    select topic_id, count(*) as volume,
        arg_min(text_redacted, (quote_order, feedback_id)) as quote
    from members group by topic_id
)

select t.topic_id, t.label, t.status, t.merged_into, t.keywords,
    coalesce(v.volume, 0), v.quote, coalesce(t.level, 'theme'), t.parent_id
from topics as t
left join volumes as v using (topic_id)
order by coalesce(v.volume, 0) desc, t.topic_id
