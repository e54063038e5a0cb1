-- one row per visible complaint issue in the target week $week, ranked by priority; the
-- components that make up the priority are columns of their own, every share and mean comes
-- with its count and a 95% range, and the emerging/improving flags with their p-values.
-- Reads the issue rows (level 'issue') of the materialised topic_week_metrics of one run.
--
-- Significance (negative binomial, one-sided, a minimum count and a minimum ratio):
-- * emerging: this week's count against the issue's own baseline, the mean of up to 8
--   earlier weeks that have data (at least a quarter of a median week's texts); and when
--   the whole week grew (by the minimum ratio), its count against the rest of the week's
--   scaled by its baseline size against the rest: in a week when everything grows, only
--   the issues that grow faster than the week are emerging;
--   the share test is also run as an exact binomial on the counts, which knows how few
--   texts a baseline share was read off (an export's stray first weeks prove no growth);
-- * improving: this week and last week together against the baseline of up to 8 weeks
--   before them (a sustained fall; one quiet week is not a trend).
-- The NB's mean is the baseline mean (for the share test, this week's total times the
-- baseline share); its variance per week is the larger of that mean (Poisson) and the
-- baseline's week-to-week variability (half the mean squared successive difference,
-- which a steady trend barely inflates), times (1 + weeks tested / k) for the
-- uncertainty of a k-week mean. The same tests run on the count of negative texts (and
-- its share of the week's negative texts). p-values are exact tail sums of the NB.
-- volume_delta and negative_delta split the week's change by issue: they add up, with
-- the texts no issue holds, to the change of the week's totals.
with settings as (
    select
        0.001 as alpha_emerging,        -- one-sided, per topic, per test
        0.01 as alpha_improving,        -- one-sided, two weeks together
        8 as min_count,                 -- fewer texts than this never make a flag
        2 as min_baseline_weeks,        -- a baseline needs this many weeks with data
        1.5 as min_ratio,               -- and the change must be at least this big a ratio
        0.25 as min_week_coverage,      -- a week with fewer texts than this share of the
                                        -- window's median week is a gap in the data
        1.959963984540054 as z95,
        0.01 as alpha_praise            -- praise: fewer complaints than the window's rate
),

weeks as (
    select unnest($weeks) as week
),

week_totals as (
    select week, sum(volume) as total_volume, sum(negative_count) as total_negative
    from topic_week_metrics
    where run_id = $run_id and level = 'issue'
    group by week
),

data_weeks as (
    -- weeks before the data began, outside the clustered window or with only a trickle of
    -- texts (a source that started mid-week) are coverage gaps, not quiet weeks: they are
    -- left out of every baseline
    select
        w.week,
        row_number() over (order by w.week) as week_index
    from weeks as w
    left join week_totals as t using (week)
    cross join settings as cfg
    where w.week = $week
       or coalesce(t.total_volume, 0)
           >= cfg.min_week_coverage * (select median(total_volume) from week_totals)
),

topic_totals as (
    select
        topic_id,
        sum(volume) as window_volume,
        sum(negative_count) as window_negative,
        sum(positive_count) as window_positive
    from topic_week_metrics
    where run_id = $run_id and level = 'issue'
    group by topic_id
),

mostly_positive as (
    select
        t.topic_id,
        cast(t.window_volume as bigint) as n,
        cast(t.window_negative as bigint) as k,
        w.negative / w.volume as q
    from topic_totals as t
    cross join (
        select sum(window_volume) as volume, sum(window_negative) as negative
        from topic_totals
    ) as w
    where t.window_positive >= 0.5 * t.window_volume and t.window_positive > t.window_negative
),

complaint_topics as (
    -- praise is not an issue to fix: leave out topics that are mostly positive and draw
    -- significantly fewer complaints than the window's rate q (the exact binomial chance
    -- of k or fewer in n under alpha_praise; pulse.topics.praise marks the same ones). A
    -- mostly positive topic whose complaints come at the window's rate holds complaints.
    select topic_id
    from topic_totals
    where topic_id not in (
        select p.topic_id
        from mostly_positive as p
        cross join settings as cfg
        where p.q = 0 or binomial_cdf(p.k, p.n, p.q) < cfg.alpha_praise
    )
),

grid as (
    select
        c.topic_id,
        w.week,
        w.week_index,
        coalesce(m.volume, 0) as volume,
        coalesce(m.negative_count, 0) as negative_count,
        coalesce(m.sentiment_count, 0) as sentiment_count,
        m.negative_share,
        m.sentiment_mean,
        m.csat_mean,
        m.csat_sd,
        coalesce(m.csat_count, 0) as csat_count,
        coalesce(m.csat_low_count, 0) as csat_low_count,
        m.resolution_median_minutes,
        coalesce(m.resolution_count, 0) as resolution_count,
        m.escalated_share,
        coalesce(m.escalated_count, 0) as escalated_count,
        coalesce(m.escalation_known_count, 0) as escalation_known_count,
        m.repeat_contact_share,
        coalesce(m.repeat_contact_count, 0) as repeat_contact_count,
        m.paid_share,
        coalesce(m.paid_count, 0) as paid_count,
        coalesce(m.tier_known_count, 0) as tier_known_count,
        coalesce(m.reach_sum, 0) as reach_sum,
        coalesce(m.social_count, 0) as social_count,
        coalesce(t.total_volume, 0) as week_total,
        coalesce(t.total_negative, 0) as week_negative_total,
        -- the rest of the week: every other issue's texts (and negative texts)
        coalesce(t.total_volume, 0) - coalesce(m.volume, 0) as week_rest,
        coalesce(t.total_negative, 0) - coalesce(m.negative_count, 0) as week_negative_rest,
        coalesce(m.volume, 0) / nullif(t.total_volume, 0) as week_share,
        coalesce(m.volume, 0) / nullif(coalesce(t.total_volume, 0) - coalesce(m.volume, 0), 0)
            as rest_ratio,
        coalesce(m.negative_count, 0)
            / nullif(coalesce(t.total_negative, 0) - coalesce(m.negative_count, 0), 0)
            as negative_rest_ratio
    from complaint_topics as c
    cross join data_weeks as w
    left join week_totals as t on t.week = w.week
    left join topic_week_metrics as m
        on m.run_id = $run_id and m.level = 'issue' and m.topic_id = c.topic_id
        and m.week = w.week
),

with_steps as (
    select
        *,
        -- this week and last (data) week together, for the two-week "improving" test
        volume + lag(volume) over by_week as pair_volume,
        negative_count + lag(negative_count) over by_week as pair_negative,
        -- squared week-to-week change, for the successive-difference variance
        pow(volume - lag(volume) over by_week, 2) as volume_step_sq,
        pow(negative_count - lag(negative_count) over by_week, 2) as negative_step_sq,
        pow(rest_ratio - lag(rest_ratio) over by_week, 2) as ratio_step_sq,
        pow(negative_rest_ratio - lag(negative_rest_ratio) over by_week, 2)
            as negative_ratio_step_sq
    from grid
    window by_week as (partition by topic_id order by week_index)
),

with_baseline as (
    select
        *,
        -- one-week test ("emerging"): up to 8 weeks before this one
        count(*) over base_1w as baseline_week_count,
        avg(volume) over base_1w as baseline_volume,
        avg(negative_count) over base_1w as baseline_negative,
        -- the week's own baseline: did the whole week grow?
        avg(week_total) over base_1w as baseline_week_total,
        avg(week_negative_total) over base_1w as baseline_week_negative_total,
        -- its baseline size against the rest of the week (texts, and negative texts)
        sum(volume) over base_1w / nullif(sum(week_rest) over base_1w, 0) as baseline_ratio,
        sum(negative_count) over base_1w
            / nullif(sum(week_negative_rest) over base_1w, 0) as baseline_negative_ratio,
        sum(volume) over base_1w
            / nullif(sum(volume + week_rest) over base_1w, 0) as baseline_share,
        -- the baseline's counts, for the share tests' exact binomial
        sum(volume) over base_1w as baseline_volume_sum,
        sum(week_rest) over base_1w as baseline_rest_sum,
        sum(negative_count) over base_1w as baseline_negative_sum,
        sum(week_negative_rest) over base_1w as baseline_negative_rest_sum,
        sum(ratio_step_sq) over steps_1w
            / nullif(2 * count(ratio_step_sq) over steps_1w, 0) as ratio_mssd_1w,
        sum(negative_ratio_step_sq) over steps_1w
            / nullif(2 * count(negative_ratio_step_sq) over steps_1w, 0)
            as negative_ratio_mssd_1w,
        sum(volume_step_sq) over steps_1w
            / nullif(2 * count(volume_step_sq) over steps_1w, 0) as volume_mssd_1w,
        sum(negative_step_sq) over steps_1w
            / nullif(2 * count(negative_step_sq) over steps_1w, 0) as negative_mssd_1w,
        -- two-week test ("improving"): up to 8 weeks before last week
        count(*) over base_2w as baseline_2w_week_count,
        avg(volume) over base_2w as baseline_2w_volume,
        avg(negative_count) over base_2w as baseline_2w_negative,
        sum(volume_step_sq) over steps_2w
            / nullif(2 * count(volume_step_sq) over steps_2w, 0) as volume_mssd_2w,
        sum(negative_step_sq) over steps_2w
            / nullif(2 * count(negative_step_sq) over steps_2w, 0) as negative_mssd_2w,
        coalesce(sum(volume) over earlier_weeks, 0) as earlier_volume
    from with_steps
    window
        base_1w as (
            partition by topic_id order by week_index
            rows between 8 preceding and 1 preceding
        ),
        -- the steps between consecutive baseline weeks: each later baseline row's step back
        steps_1w as (
            partition by topic_id order by week_index
            rows between 7 preceding and 1 preceding
        ),
        base_2w as (
            partition by topic_id order by week_index
            rows between 9 preceding and 2 preceding
        ),
        steps_2w as (
            partition by topic_id order by week_index
            rows between 8 preceding and 2 preceding
        ),
        earlier_weeks as (
            partition by topic_id order by week_index
            rows between unbounded preceding and 1 preceding
        )
),

target as (
    -- every week of the window is ranked, so this week's ranks can show their movement
    -- and how long an issue has been in the top $top_n, whether or not those weeks were
    -- reported (and with this run's topics, so merges and renames are already applied)
    select b.*
    from with_baseline as b
    where b.week <= $week
),

tests as (
    -- one row per topic, week and test: the observed count and the mean and variance it is
    -- expected to have when nothing changed. Half a text is added to a baseline total so a
    -- zero baseline stays testable; (1 + w/k) adds the uncertainty of a k-week mean.
    select
        topic_id, week, 'up' as test, volume as observed,
        (baseline_volume * baseline_week_count + 0.5) / baseline_week_count as expected,
        baseline_week_count as k, volume_mssd_1w as mssd, 1 as span
    from target where baseline_week_count > 0
    union all
    select
        topic_id, week, 'negative_up', negative_count,
        (baseline_negative * baseline_week_count + 0.5) / baseline_week_count,
        baseline_week_count, negative_mssd_1w, 1
    from target where baseline_week_count > 0
    union all
    -- the share tests: does it outgrow the rest of the week? Expected: the rest of this
    -- week times the issue's baseline size against the rest (half a text added so a zero
    -- baseline stays testable); the ratio's variability scaled to this week's rest
    select
        topic_id, week, 'share_up', volume,
        week_rest * coalesce(baseline_ratio, 0) + 0.5,
        baseline_week_count, coalesce(ratio_mssd_1w, 0) * week_rest * week_rest, 1
    from target where baseline_week_count > 0 and week_rest > 0
    union all
    select
        topic_id, week, 'negative_share_up', negative_count,
        week_negative_rest * coalesce(baseline_negative_ratio, 0) + 0.5,
        baseline_week_count,
        coalesce(negative_ratio_mssd_1w, 0) * week_negative_rest * week_negative_rest, 1
    from target where baseline_week_count > 0 and week_negative_rest > 0
    union all
    select
        topic_id, week, 'down', pair_volume,
        2 * (baseline_2w_volume * baseline_2w_week_count + 0.5) / baseline_2w_week_count,
        baseline_2w_week_count, volume_mssd_2w, 2
    from target where baseline_2w_week_count > 0 and pair_volume is not null
    union all
    select
        topic_id, week, 'negative_down', pair_negative,
        2 * (baseline_2w_negative * baseline_2w_week_count + 0.5) / baseline_2w_week_count,
        baseline_2w_week_count, negative_mssd_2w, 2
    from target where baseline_2w_week_count > 0 and pair_negative is not null
),

nb_variance as (
    select
        *,
        -- per week: Poisson (the mean) or the baseline's own variability, whichever is larger
        (1 + span / k) * greatest(expected, span * coalesce(mssd, 0)) as variance
    from tests
),

nb_shape as (
    -- negative binomial by moments: mean m, variance v  ->  size r = m^2/(v-m), p = m/v
    select
        *,
        pow(expected, 2) / (variance - expected) as size_r,
        expected / variance as prob_q
    from nb_variance
),

nb_tails as (
    -- exact tail sums of the NB probabilities: P(X >= x) = 1 - sum_{i<x}, P(X <= x) = sum_{i<=x}
    select
        topic_id,
        week,
        test,
        case when test like '%up' then
            greatest(0.0, 1 - coalesce(list_sum(list_transform(range(observed), lambda i:
                exp(lgamma(i + size_r) - lgamma(size_r) - lgamma(i + 1)
                    + size_r * ln(prob_q) + i * ln(1 - prob_q)))), 0))
        else
            least(1.0, list_sum(list_transform(range(observed + 1), lambda i:
                exp(lgamma(i + size_r) - lgamma(size_r) - lgamma(i + 1)
                    + size_r * ln(prob_q) + i * ln(1 - prob_q)))))
        end as p_value,
        (observed - expected) / sqrt(variance) as z
    from nb_shape
),

binomial_tails as (
    -- The share tests again, exactly, from counts alone. With the issue's size against the
    -- rest of its week unchanged, its texts among its n texts of the baseline and this week
    -- are binomial, with p = this week's rest / (this week's rest + the baseline's rest).
    -- The NB above knows the ratio's week-to-week swing but reads the baseline's ratio as
    -- known; this one knows how few texts it was read off (an export's stray first weeks:
    -- 0 of 16 texts says nothing of this week's 960). A share test passes only when both do.
    select
        topic_id,
        week,
        test,
        greatest(0.0, 1 - binomial_cdf(observed - 1, n, q)) as p_value
    from (
        select
            topic_id, week, 'share_up' as test, volume as observed,
            volume + baseline_volume_sum as n,
            week_rest / (week_rest + baseline_rest_sum) as q
        from target
        where baseline_week_count > 0 and volume > 0 and week_rest > 0 and baseline_rest_sum > 0
        union all
        select
            topic_id, week, 'negative_share_up', negative_count,
            negative_count + baseline_negative_sum,
            week_negative_rest / (week_negative_rest + baseline_negative_rest_sum)
        from target
        where baseline_week_count > 0 and negative_count > 0 and week_negative_rest > 0
            and baseline_negative_rest_sum > 0
    )
),

tested as (
    select
        topic_id,
        week,
        any_value(p_value) filter (where test = 'up') as p_value_up,
        any_value(p_value) filter (where test = 'negative_up') as p_value_negative_up,
        any_value(p_value) filter (where test = 'down') as p_value_down,
        any_value(p_value) filter (where test = 'negative_down') as p_value_negative_down,
        max(p_value) filter (where test = 'share_up') as p_value_share_up,
        max(p_value) filter (where test = 'negative_share_up') as p_value_negative_share_up,
        any_value(z) filter (where test = 'up') as volume_z
    from (
        select topic_id, week, test, p_value, z from nb_tails
        union all
        select topic_id, week, test, p_value, null from binomial_tails
    )
    group by topic_id, week
),

flagged as (
    select
        t.*,
        s.p_value_up,
        s.p_value_down,
        s.p_value_negative_up,
        s.p_value_negative_down,
        s.p_value_share_up,
        s.p_value_negative_share_up,
        s.volume_z,
        -- emerging: this week alone is significantly and clearly above the baseline; in a
        -- week that grew as a whole (by the minimum ratio), it must also have outgrown the
        -- rest of the week: an issue that only grew with the week is not emerging
        coalesce(t.baseline_week_count >= cfg.min_baseline_weeks and (
            (
                t.volume >= cfg.min_count
                and t.volume >= cfg.min_ratio * t.baseline_volume
                and s.p_value_up < cfg.alpha_emerging
                and (
                    t.week_total < cfg.min_ratio * t.baseline_week_total
                    or s.p_value_share_up < cfg.alpha_emerging
                )
            ) or (
                t.negative_count >= cfg.min_count
                and t.negative_count >= cfg.min_ratio * t.baseline_negative
                and s.p_value_negative_up < cfg.alpha_emerging
                and (
                    t.week_negative_total < cfg.min_ratio * t.baseline_week_negative_total
                    or s.p_value_negative_share_up < cfg.alpha_emerging
                )
            )
        ), false) as is_emerging,
        -- improving: this week and last together are significantly below the baseline before
        -- them, and this week is clearly below it too (one quiet week is not a trend)
        coalesce(t.baseline_2w_week_count >= cfg.min_baseline_weeks and (
            (
                t.baseline_2w_volume >= cfg.min_count
                and t.volume * cfg.min_ratio <= t.baseline_2w_volume
                and t.pair_volume * cfg.min_ratio <= 2 * t.baseline_2w_volume
                and s.p_value_down < cfg.alpha_improving
            ) or (
                t.baseline_2w_negative >= cfg.min_count
                and t.negative_count * cfg.min_ratio <= t.baseline_2w_negative
                and t.pair_negative * cfg.min_ratio <= 2 * t.baseline_2w_negative
                and s.p_value_negative_down < cfg.alpha_improving
            )
        ), false) as is_improving
    from target as t
    cross join settings as cfg
    left join tested as s using (topic_id, week)
),

with_growth as (
    select
        f.*,
        -- variance-stabilised Poisson difference, about N(0, 1) when nothing changed; unlike
        -- the test it also gives a topic with no baseline (a new one) credit for growth.
        -- In the data's first week nothing came before, so no topic grew: null, no credit
        case when f.baseline_week_count > 0
            then 2 * (sqrt(f.volume) - sqrt(coalesce(f.baseline_volume, 0)))
        end as growth_z,
        max(f.volume) over (partition by f.week) as week_max_volume,
        max(f.reach_sum) over (partition by f.week) as week_max_reach
    from flagged as f
    where f.volume > 0 or f.is_improving
),

components as (
    select
        *,
        -- 0 when no issue has texts this week (an improving issue can still be listed)
        coalesce(ln(1 + volume) / nullif(ln(1 + week_max_volume), 0), 0) as volume_component,
        coalesce(negative_share, 0) as negativity_component,
        least(greatest(coalesce(growth_z, 0) / 4.0, 0), 1) as growth_component,
        (
            coalesce((5 - csat_mean) / 4.0, 0.5)
            + coalesce(escalated_share, 0)
            + least(coalesce(resolution_median_minutes, 0) / (3 * 24 * 60.0), 1)
            + coalesce(repeat_contact_share, 0)
        ) / 4.0 as severity_component,
        (
            coalesce(paid_share, 0)
            + coalesce(ln(1 + reach_sum) / nullif(ln(1 + week_max_reach), 0), 0)
        ) / 2.0 as reach_component
    from with_growth
),

wilson as (
    -- 95% ranges: Wilson score interval for shares (centre and half-width); null when
    -- nothing was counted
    select
        *,
        (negative_p + z * z / (2 * negative_n)) / (1 + z * z / negative_n) as negative_centre,
        z * sqrt(negative_p * (1 - negative_p) / negative_n + z * z / (4 * negative_n * negative_n))
            / (1 + z * z / negative_n) as negative_half,
        (paid_p + z * z / (2 * paid_n)) / (1 + z * z / paid_n) as paid_centre,
        z * sqrt(paid_p * (1 - paid_p) / paid_n + z * z / (4 * paid_n * paid_n))
            / (1 + z * z / paid_n) as paid_half
    from (
        select
            c.*,
            cfg.z95 as z,
            nullif(c.sentiment_count, 0) as negative_n,
            c.negative_count / nullif(c.sentiment_count, 0) as negative_p,
            nullif(c.tier_known_count, 0) as paid_n,
            c.paid_count / nullif(c.tier_known_count, 0) as paid_p
        from components as c
        cross join settings as cfg
    )
),

with_ranges as (
    select
        *,
        negative_centre - negative_half as negative_share_low,
        negative_centre + negative_half as negative_share_high,
        paid_centre - paid_half as paid_share_low,
        paid_centre + paid_half as paid_share_high,
        -- Student t quantile (97.5%) for n - 1 degrees of freedom: exact table to 30,
        -- Cornish-Fisher expansion beyond (error below 0.001)
        case
            when csat_count < 2 then null
            when csat_count <= 31 then [
                12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042
            ][csat_count - 1]
            else z + (pow(z, 3) + z) / (4 * (csat_count - 1))
                + (5 * pow(z, 5) + 16 * pow(z, 3) + 3 * z) / (96 * pow(csat_count - 1, 2))
        end as csat_t
    from wilson
),

scored as (
    select
        *,
        -- (greatest/least skip nulls, so the case keeps "no range" null)
        case when csat_t is not null then
            greatest(1.0, csat_mean - csat_t * coalesce(csat_sd, 0) / sqrt(csat_count))
        end as csat_low,
        case when csat_t is not null then
            least(5.0, csat_mean + csat_t * coalesce(csat_sd, 0) / sqrt(csat_count))
        end as csat_high,
        100 * (
            $w_volume * volume_component
            + $w_negativity * negativity_component
            + $w_growth * growth_component
            + $w_severity * severity_component
            + $w_reach * reach_component
        ) / ($w_volume + $w_negativity + $w_growth + $w_severity + $w_reach) as priority
    from with_ranges
),

ranked as (
    select
        *,
        row_number() over (
            partition by week order by priority desc, volume desc, topic_id
        ) as rank
    from scored
),

streaks as (
    -- the weeks in a row, up to this week, that each issue was in the top $top_n
    select
        topic_id,
        max(week_index) filter (where rank > $top_n or volume = 0) as last_out_index,
        min(week_index) - 1 as before_first_index
    from ranked
    group by topic_id
),

previous as (
    -- last calendar week's texts, whatever its coverage: what "from N" and the change say
    select topic_id, volume, negative_count
    from topic_week_metrics
    where run_id = $run_id and level = 'issue' and week = $prev_week
),

earlier as (
    -- "no earlier week" only when the data has no texts before this week at all
    select count(*) > 0 as has_earlier_week
    from week_totals
    where week < $week and total_volume > 0
),

final as (
    select
        r.topic_id,
        r.week,
        r.rank,
        prev.rank as prev_rank,
        r.volume,
        case when e.has_earlier_week then coalesce(p.volume, 0) end as prev_volume,
        (r.volume - coalesce(p.volume, 0))
            / nullif(case when e.has_earlier_week then coalesce(p.volume, 0) end, 0)
            as volume_change,
        r.volume - coalesce(p.volume, 0) as volume_delta,
        r.negative_count - coalesce(p.negative_count, 0) as negative_delta,
        r.week_share,
        r.baseline_share,
        r.baseline_volume,
        r.baseline_week_count,
        r.baseline_negative,
        r.baseline_2w_volume,
        r.baseline_2w_week_count,
        r.pair_volume,
        r.growth_z,
        r.volume_z,
        r.p_value_up,
        r.p_value_down,
        r.p_value_negative_up,
        r.p_value_negative_down,
        r.p_value_share_up,
        r.p_value_negative_share_up,
        r.negative_count,
        r.sentiment_count,
        r.negative_share,
        r.negative_share_low,
        r.negative_share_high,
        r.sentiment_mean,
        r.csat_mean,
        r.csat_low,
        r.csat_high,
        r.csat_count,
        r.csat_low_count,
        r.resolution_median_minutes,
        r.resolution_count,
        r.escalated_share,
        r.escalated_count,
        r.repeat_contact_share,
        r.repeat_contact_count,
        r.paid_share,
        r.paid_share_low,
        r.paid_share_high,
        r.paid_count,
        r.tier_known_count,
        r.reach_sum,
        r.social_count,
        r.volume_component,
        r.negativity_component,
        r.growth_component,
        r.severity_component,
        r.reach_component,
        r.priority,
        -- new: first seen this week with (almost) no texts before it; or a seed CX ops
        -- added this week after the registry's first successful run (its texts span the
        -- window, since a seed claims the earlier weeks' texts too)
        t.first_seen_week = $week and (
            r.earlier_volume <= 2
            or t.topic_id in (
                select s.topic_id from topic_seeds as s
                where s.registered_at > (select min(finished_at) from runs where outcome = 'ok')
            )
        ) as is_new,
        r.is_emerging,
        r.is_improving,
        case
            when r.rank <= $top_n
                then r.week_index - coalesce(s.last_out_index, s.before_first_index)
            else 0
        end as weeks_in_top
    from ranked as r
    inner join topics as t using (topic_id)
    cross join earlier as e
    left join streaks as s on s.topic_id = r.topic_id
    left join previous as p on p.topic_id = r.topic_id
    left join ranked as prev on prev.topic_id = r.topic_id and prev.week = $prev_week
    where r.week = $week
)

select * from final
order by rank
