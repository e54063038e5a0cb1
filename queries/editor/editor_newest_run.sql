-- one row: the newest run that finished ok, whose topics the editor lists.
with final as (
    select run_id, week, finished_at
    from runs
    where outcome = 'ok'
    order by finished_at desc
    limit 1
)

select * from final
