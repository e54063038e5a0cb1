-- one row per topic per language of its texts created in [$window_start, $window_end), one run
-- param run_id: varchar — the run whose topic assignment counts (`runs.run_id`)
-- param window_start: timestamp — first instant counted, UTC (e.g. 2026-11-09)
-- param window_end: timestamp — first instant not counted, UTC (e.g. 2026-11-16)
-- param language: varchar — '' for every topic, or an ISO 639-1 code like de to filter
-- param min_share: double — with a language: the topic's least share of it, 0 to 1
--
-- For one run's topic assignment, at two levels as topic_week_metrics: 'issue' and 'theme'
-- (sub-theme). language is an ISO 639-1 code ('en', 'de') detected at ingest, or null when the
-- text's language could not be told (too short, emoji only). Texts count where topic_rollup
-- puts them (merged topics under their target, hidden ones left out).
-- Filter: $language = '' keeps every topic; $language = 'de' keeps the topics whose texts are
-- at least $min_share (0..1) in German, each with its whole mix, the filtering share first.
with assigned as (
    select f.language, r.theme_id, r.issue_id
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    inner join topic_rollup_of($run_id) as r on r.topic_id = d.topic_id
    where d.run_id = $run_id
        and r.is_visible
        and f.created_at >= $window_start and f.created_at < $window_end
),

leveled as (
    select 'issue' as level, issue_id as topic_id, language from assigned
    union all
    select 'theme' as level, theme_id as topic_id, language from assigned
),

mix as (
    select
        level,
        topic_id,
        language,
        count(*) as text_count,
        sum(count(*)) over (partition by level, topic_id) as topic_text_count,
        count(*) / sum(count(*)) over (partition by level, topic_id) as language_share
    from leveled
    group by level, topic_id, language
),

filtering_share as (
    select level, topic_id, coalesce(max(language_share) filter (where language = $language), 0)
        as filter_language_share
    from mix
    group by level, topic_id
),

final as (
    select
        mix.level,
        mix.topic_id,
        topics.label,
        mix.language,
        mix.text_count,
        mix.topic_text_count,
        mix.language_share,
        filtering_share.filter_language_share
    from mix
    inner join filtering_share using (level, topic_id)
    left join topics using (topic_id)
    where $language = '' or filtering_share.filter_language_share >= $min_share
)

select * from final
order by level, filter_language_share desc, topic_text_count desc, topic_id,
    text_count desc, language nulls last
