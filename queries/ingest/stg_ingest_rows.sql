-- one row per feedback candidate in the file being loaded, with its fate:
-- status load | reject | duplicate and why. Reads ingest_typed (stg_ingest_typed.sql, which
-- cleans plain texts itself), ingest_messy_cleaned (the other texts, cleaned in Python) and
-- ingest_redacted (the redacted texts of the rows redaction changed or might change; any
-- other row's redacted text is its text). Each row is read once: rejects, id duplicates and
-- the rest each come from their own branch rather than being joined back by line.
-- Two rows are the same feedback only when their key (source + id) is the same: the same
-- text under another id is another complaint, and loads (repeated texts are the topic and
-- quote stages' business). reason_kind is the reason without its value, for summaries.
with joined as (
    select
        typed.* exclude (text, text_raw, is_redaction_candidate),
        coalesce(typed.text, messy.text) as text,
        coalesce(redacted.text_redacted, typed.text, messy.text) as text_redacted
    from ingest_typed as typed
    left join ingest_messy_cleaned as messy on messy.line = typed.line
    left join ingest_redacted as redacted on redacted.line = typed.line
),

checked as (
    select
        *,
        sha256(text) as text_hash,
        coalesce(
            reason,
            case when text is null or text = '' then 'empty text after cleaning' end
        ) as row_reason
    from joined
),

-- A re-exported ticket can appear twice in one file: the newest version loads. Only the
-- ids that repeat are ranked (a grouping finds them); sorting every row by id would
-- cost more than the rest of this query.
passing as (
    select * exclude (row_reason, reason, reason_value) from checked where row_reason is null
),

repeated_ids as (
    select external_id from passing group by external_id having count(*) > 1
),

repeated_ranked as (
    select
        line,
        row_number() over by_id as id_rank,
        first_value(line) over by_id as kept_line
    from passing
    semi join repeated_ids using (external_id)
    window by_id as (
        partition by external_id order by coalesce(updated_at, created_at) desc, line
    )
),

ranked as (
    select passing.*, coalesce(repeated.id_rank, 1) as id_rank, repeated.kept_line
    from passing
    left join repeated_ranked as repeated on repeated.line = passing.line
),

rejected as (
    select
        * exclude (row_reason, reason),
        'reject' as status,
        row_reason as reason,
        row_reason as reason_kind
    from checked
    where row_reason is not null
),

-- (a line's file is the number in its bits above 32: another file of the batch is named)
id_duplicates as (
    select
        ranked.* exclude (id_rank, kept_line),
        'duplicate' as status,
        'same id as line ' || (ranked.kept_line & 4294967295)
            || case when ranked.kept_line >> 32 <> ranked.line >> 32 then ' of ' || kept.file else '' end
            || ', which loads (the newer or first version)' as reason,
        'same id as another line' as reason_kind,
        cast(null as varchar) as reason_value
    from ranked
    left join ingest_batch_files as kept on kept.file_no = ranked.kept_line >> 32
    where ranked.id_rank > 1
),

loaded as (
    select
        * exclude (id_rank, kept_line),
        'load' as status,
        cast(null as varchar) as reason,
        cast(null as varchar) as reason_kind,
        cast(null as varchar) as reason_value
    from ranked
    where id_rank = 1
),

unioned as (
    select * from rejected
    union all by name
    select * from id_duplicates
    union all by name
    select * from loaded
),

final as (
    select
        line,
        external_id,
        $source || ':' || external_id as feedback_id,
        created_at,
        updated_at,
        text,
        text_redacted,
        text_hash,
        channel,
        member_tier,
        csat,
        nps,
        first_response_minutes,
        resolution_minutes,
        is_escalated,
        reach,
        url,
        status,
        reason,
        reason_kind,
        reason_value
    from unioned
)

select * from final
