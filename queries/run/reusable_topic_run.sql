-- one row: the newest ok run of week $week (other than $run_id), one made under the same
-- taxonomy seeds first, whether its seeds are these, how many texts it clustered, how many
-- the window [$start, $end) holds now, and how many of those are the same texts with the
-- same content. The topic stage reuses that run's assignment when all three counts are
-- equal (with other seeds, the seeds then claim their texts on top of it).
with candidate as (
    select
        run_id,
        coalesce(json_extract_string(parameters, '$.taxonomy_seeds') = $seeds, false)
            as same_seeds
    from runs
    where week = $week and outcome = 'ok' and run_id <> $run_id
    order by same_seeds desc, finished_at desc
    limit 1
),

before as (
    select d.feedback_id, f.text_hash
    from doc_topics as d
    inner join feedback as f using (feedback_id)
    where d.run_id = (select run_id from candidate)
),

now as (
    select feedback_id, text_hash
    from feedback
    where created_at >= $start and created_at < $end
),

final as (
    select
        (select run_id from candidate) as run_id,
        (select same_seeds from candidate) as same_seeds,
        (select count(*) from before) as clustered_count,
        (select count(*) from now) as window_count,
        (select count(*) from before inner join now using (feedback_id, text_hash))
            as same_count
)

select * from final
