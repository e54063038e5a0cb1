-- one row per acted-on topic per week of one run's window that has any texts at all: the
-- topic's texts, negative texts and CSAT sums that week, what pulse/report/verdicts.py compares
-- before and after an action. A merged topic reads as the topic it was merged into (the
-- registry's merged_into, set by the taxonomy file), at that topic's own level, so its
-- history is the one the report counts. A week with texts but none for the topic reads 0:
-- absent there is a count of zero, not a gap; a week before the data began has no row.
with data_weeks as (
    select week
    from weekly_kpis
    where run_id = $run_id and volume > 0
),

acted as (
    select
        t.topic_id,
        target.topic_id as counted_topic_id,
        coalesce(target.level, 'theme') as level
    from topics as t
    inner join topics as target on target.topic_id = coalesce(t.merged_into, t.topic_id)
    where list_contains($topic_ids, t.topic_id)
),

final as (
    select
        a.topic_id,
        a.counted_topic_id,
        w.week,
        coalesce(m.volume, 0) as volume,
        coalesce(m.negative_count, 0) as negative_count,
        coalesce(m.sentiment_count, 0) as sentiment_count,
        coalesce(m.csat_mean * m.csat_count, 0) as csat_sum,
        coalesce(m.csat_count, 0) as csat_count
    from acted as a
    cross join data_weeks as w
    left join topic_week_metrics as m
        on m.run_id = $run_id
        and m.topic_id = a.counted_topic_id
        and m.level = a.level
        and m.week = w.week
)

select * from final
order by topic_id, week
