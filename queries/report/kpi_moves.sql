-- one row per issue with texts in $week or $prev_week, plus a last row (topic_id null) for
-- the texts no visible issue holds (unassigned, hidden): the counts behind each ratio KPI
-- (share negative, CSAT, NPS) in both weeks, numerator and denominator side by side, so
-- pulse/report/kpi_moves.py can split each KPI's change into per-issue parts. The rest row is the
-- week's totals in weekly_kpis less the issues' sums, so every column adds up exactly to
-- weekly_kpis' figures. CSAT sums are rebuilt from mean times count (answers are whole
-- numbers 1-5, so rounding gives the exact sum). is_nps_split_known is false when the
-- run's issue rows predate topic_week_metrics' NPS columns (they read null there).
with weekly_counts as (
    -- the issues' rows and the week's totals (topic_id null) in one shape, pivoted once
    select
        false as is_total, topic_id, week, volume, sentiment_count, negative_count,
        csat_count, csat_mean, nps_count, nps_promoter_count, nps_detractor_count
    from topic_week_metrics
    where run_id = $run_id and level = 'issue' and week in ($week, $prev_week)
    union all
    select
        true, null, week, volume, sentiment_count, negative_count,
        csat_count, csat_mean, nps_count, nps_promoter_count, nps_detractor_count
    from weekly_kpis
    where run_id = $run_id and week in ($week, $prev_week)
    union all
    -- a row of zeros, so the totals exist when weekly_kpis has neither week (counts are
    -- never negative, so it changes no maximum)
    select true, null, $week, 0, 0, 0, 0, null, 0, 0, 0
),

pivoted as (
    select
        is_total,
        topic_id,
        coalesce(max(volume) filter (where week = $week), 0) as volume,
        coalesce(max(volume) filter (where week = $prev_week), 0) as prev_volume,
        coalesce(max(sentiment_count) filter (where week = $week), 0) as sentiment_count,
        coalesce(max(sentiment_count) filter (where week = $prev_week), 0)
            as prev_sentiment_count,
        coalesce(max(negative_count) filter (where week = $week), 0) as negative_count,
        coalesce(max(negative_count) filter (where week = $prev_week), 0)
            as prev_negative_count,
        coalesce(max(csat_count) filter (where week = $week), 0) as csat_count,
        coalesce(max(csat_count) filter (where week = $prev_week), 0) as prev_csat_count,
        coalesce(
            max(round(csat_mean * csat_count)) filter (where week = $week and csat_count > 0),
            0
        ) as csat_sum,
        coalesce(
            max(round(csat_mean * csat_count))
                filter (where week = $prev_week and csat_count > 0),
            0
        ) as prev_csat_sum,
        coalesce(max(nps_count) filter (where week = $week), 0) as nps_count,
        coalesce(max(nps_count) filter (where week = $prev_week), 0) as prev_nps_count,
        coalesce(max(nps_promoter_count) filter (where week = $week), 0) as nps_promoter_count,
        coalesce(max(nps_promoter_count) filter (where week = $prev_week), 0)
            as prev_nps_promoter_count,
        coalesce(max(nps_detractor_count) filter (where week = $week), 0)
            as nps_detractor_count,
        coalesce(max(nps_detractor_count) filter (where week = $prev_week), 0)
            as prev_nps_detractor_count,
        bool_and(nps_count is not null) as is_nps_split_known
    from weekly_counts
    group by is_total, topic_id
),

issues as (
    select * exclude (is_total) from pivoted where not is_total
),

totals as (
    select * exclude (is_total, topic_id, is_nps_split_known) from pivoted where is_total
),

issue_sums as (
    select
        coalesce(sum(volume), 0) as volume,
        coalesce(sum(prev_volume), 0) as prev_volume,
        coalesce(sum(sentiment_count), 0) as sentiment_count,
        coalesce(sum(prev_sentiment_count), 0) as prev_sentiment_count,
        coalesce(sum(negative_count), 0) as negative_count,
        coalesce(sum(prev_negative_count), 0) as prev_negative_count,
        coalesce(sum(csat_count), 0) as csat_count,
        coalesce(sum(prev_csat_count), 0) as prev_csat_count,
        coalesce(sum(csat_sum), 0) as csat_sum,
        coalesce(sum(prev_csat_sum), 0) as prev_csat_sum,
        coalesce(sum(nps_count), 0) as nps_count,
        coalesce(sum(prev_nps_count), 0) as prev_nps_count,
        coalesce(sum(nps_promoter_count), 0) as nps_promoter_count,
        coalesce(sum(prev_nps_promoter_count), 0) as prev_nps_promoter_count,
        coalesce(sum(nps_detractor_count), 0) as nps_detractor_count,
        coalesce(sum(prev_nps_detractor_count), 0) as prev_nps_detractor_count,
        coalesce(bool_and(is_nps_split_known), true) as is_nps_split_known
    from issues
),

rest as (
    select
        cast(null as integer) as topic_id,
        t.volume - s.volume as volume,
        t.prev_volume - s.prev_volume as prev_volume,
        t.sentiment_count - s.sentiment_count as sentiment_count,
        t.prev_sentiment_count - s.prev_sentiment_count as prev_sentiment_count,
        t.negative_count - s.negative_count as negative_count,
        t.prev_negative_count - s.prev_negative_count as prev_negative_count,
        t.csat_count - s.csat_count as csat_count,
        t.prev_csat_count - s.prev_csat_count as prev_csat_count,
        t.csat_sum - s.csat_sum as csat_sum,
        t.prev_csat_sum - s.prev_csat_sum as prev_csat_sum,
        t.nps_count - s.nps_count as nps_count,
        t.prev_nps_count - s.prev_nps_count as prev_nps_count,
        t.nps_promoter_count - s.nps_promoter_count as nps_promoter_count,
        t.prev_nps_promoter_count - s.prev_nps_promoter_count as prev_nps_promoter_count,
        t.nps_detractor_count - s.nps_detractor_count as nps_detractor_count,
        t.prev_nps_detractor_count - s.prev_nps_detractor_count as prev_nps_detractor_count,
        s.is_nps_split_known
    from totals as t
    cross join issue_sums as s
),

final as (
    select
        topic_id,
        cast(volume as bigint) as volume,
        cast(prev_volume as bigint) as prev_volume,
        cast(sentiment_count as bigint) as sentiment_count,
        cast(prev_sentiment_count as bigint) as prev_sentiment_count,
        cast(negative_count as bigint) as negative_count,
        cast(prev_negative_count as bigint) as prev_negative_count,
        cast(csat_count as bigint) as csat_count,
        cast(prev_csat_count as bigint) as prev_csat_count,
        cast(csat_sum as bigint) as csat_sum,
        cast(prev_csat_sum as bigint) as prev_csat_sum,
        cast(nps_count as bigint) as nps_count,
        cast(prev_nps_count as bigint) as prev_nps_count,
        cast(nps_promoter_count as bigint) as nps_promoter_count,
        cast(prev_nps_promoter_count as bigint) as prev_nps_promoter_count,
        cast(nps_detractor_count as bigint) as nps_detractor_count,
        cast(prev_nps_detractor_count as bigint) as prev_nps_detractor_count,
        (select is_nps_split_known from issue_sums) as is_nps_split_known
    from (
        select * exclude (is_nps_split_known) from issues
        union all
        select * exclude (is_nps_split_known) from rest
    )
)

select * from final
order by topic_id nulls last
