-- one row per listed issue per week of one run's window with texts: its texts and the share
-- of them that was negative, for the issue's 12-week trend. Reads the issue rows of the
-- materialised topic_week_metrics; a week without a row had no texts for the issue.
with final as (
    select
        topic_id,
        week,
        volume,
        negative_share
    from topic_week_metrics
    where run_id = $run_id and level = 'issue' and list_contains($topic_ids, topic_id)
)

select * from final
