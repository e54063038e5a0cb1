-- one row per language of the texts created in the report's week [$week_start, $week_end),
-- an ISO 639-1 code (feedback.language, detected at ingest) or null for texts whose language
-- could not be told; most texts first. The report names the first few (pulse/report/languages.py).
with week_texts as (
    select language
    from feedback
    where created_at >= $week_start and created_at < $week_end
),

final as (
    select
        language,
        count(*) as text_count,
        count(*) / sum(count(*)) over () as text_share
    from week_texts
    group by language
)

select * from final order by text_count desc, language nulls last
