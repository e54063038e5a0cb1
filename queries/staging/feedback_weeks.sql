-- one row per feedback text in the window, with its local ISO week and sentiment
-- (a staging query: the others start from the same shape)
with windowed as (
    select
        f.*,
        local_week(f.created_at, $tz) as week
    from feedback as f
    where f.created_at >= $window_start and f.created_at < $window_end
),

final as (
    select
        w.*,
        s.label as sentiment_label,
        s.score as sentiment_score
    from windowed as w
    left join sentiment as s using (feedback_id)
)

select * from final
