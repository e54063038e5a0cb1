-- one row per source that contributed texts to the report's window: its texts in the window
-- and in the report's week, and the rows its files loaded and rejected (all loads). A source
-- whose texts all fall outside the window is not part of this report and is not listed.
with window_texts as (
    select
        source,
        count(*) as window_text_count,
        count(*) filter (where created_at >= $week_start and created_at < $window_end)
            as week_text_count
    from feedback
    where created_at >= $window_start and created_at < $window_end
    group by source
),

loads as (
    select source, sum(rows_loaded) as rows_loaded, sum(rows_rejected) as rows_rejected
    from loaded_files
    group by source
),

final as (
    select
        window_texts.source,
        window_texts.window_text_count,
        window_texts.week_text_count,
        coalesce(loads.rows_loaded, 0) as rows_loaded,
        coalesce(loads.rows_rejected, 0) as rows_rejected
    from window_texts
    left join loads using (source)
)

select * from final order by source
