-- one row per sub-theme of issue $topic_id in run $run_id, as CX ops' edits leave them: the
-- sub-themes whose texts count under the issue (topic_rollup_of), a sub-theme merged into
-- another one of them aside (its texts count under that one).
with rollup as (
    select topic_id, theme_id, issue_id from topic_rollup_of($run_id)
),

final as (
    select r.topic_id, t.label
    from rollup as r
    inner join topics as t using (topic_id)
    where r.issue_id = $topic_id and r.theme_id = r.topic_id and r.topic_id <> $topic_id
)

select * from final
order by topic_id
