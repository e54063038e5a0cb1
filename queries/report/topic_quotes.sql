-- candidate quotes: up to $per_topic texts per issue in the target week, most typical first
-- (similarity to the topic centroid), and the most typical of each other language the issue
-- has (unknown counts as English); the caller picks a diverse few of them
with week_docs as (
    select
        r.issue_id as topic_id,
        f.feedback_id,
        f.text_redacted,
        f.text_hash,
        f.channel,
        f.created_at,
        f.language,
        d.probability,
        s.label as sentiment_label
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    -- each text under its issue, after CX ops' edits (topic_rollup); hidden ones left out
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    left join sentiment as s using (feedback_id)
    where d.run_id = $run_id
      and r.is_visible
      and f.created_at >= $week_start and f.created_at < $week_end
      and length(f.text_redacted) between 25 and 600
),

ranked as (
    select
        *,
        row_number() over (
            partition by topic_id
            order by quote_order(text_redacted, sentiment_label, probability), feedback_id
        ) as quote_rank,
        row_number() over (
            partition by topic_id, coalesce(language, 'en')
            order by quote_order(text_redacted, sentiment_label, probability), feedback_id
        ) as language_rank
    from week_docs
),

final as (
    select topic_id, feedback_id, text_redacted, text_hash, channel, created_at, language,
        probability, quote_rank
    from ranked
    where quote_rank <= $per_topic or language_rank = 1
)

select * from final
order by topic_id, quote_rank
