-- one row per feedback candidate in the file being loaded, with its fate:
-- status load | reject | duplicate and why. Reads ingest_typed (stg_ingest_typed.sql, which
-- cleans plain texts itself), ingest_messy_cleaned (the other texts, cleaned in Python) and
-- ingest_redacted (the redacted texts of the rows redaction changed or might change; any
-- other row's redacted text is its text). Each row is read once: rejects, id duplicates and
-- the rest each come from their own branch rather than being joined back by line.
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
    select * exclude (row_reason, reason) from checked where row_reason is null
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

-- The same text at the same moment under another id is one message sent (or exported) twice:
-- every copy after the first line is a duplicate. (A grouping, not a window: it keeps only
-- the texts that have copies, and sorts nothing.)
copied_texts as (
    select text_hash, created_at, min(line) as first_line
    from ranked
    where id_rank = 1
    group by text_hash, created_at
    having count(*) > 1
),

-- only earlier rows that share a text with this file are read
known_texts as (
    select text_hash, created_at, min(feedback_id) as feedback_id
    from feedback
    where source = $source
        and text_hash in (select text_hash from ranked where id_rank = 1)
    group by text_hash, created_at
),

retweets as (
    select line, sha256(regexp_replace(text, '^RT @\w+:\s*', '')) as original_hash
    from ranked
    where id_rank = 1 and starts_with(text, 'RT @') and regexp_matches(text, '^RT @\w+:')
),

retweet_originals as (
    select
        retweets.line,
        min(coalesce(
            cast(in_file.line as varchar), 'feedback ' || in_db.feedback_id
        )) as original
    from retweets
    left join ranked as in_file
        on in_file.text_hash = retweets.original_hash and in_file.id_rank = 1
    left join (
        select text_hash, min(feedback_id) as feedback_id
        from feedback
        where source = $source and text_hash in (select original_hash from retweets)
        group by text_hash
    ) as in_db
        on in_db.text_hash = retweets.original_hash
    where in_file.line is not null or in_db.feedback_id is not null
    group by retweets.line
),

rejected as (
    select * exclude (row_reason, reason), 'reject' as status, row_reason as reason
    from checked
    where row_reason is not null
),

id_duplicates as (
    select
        * exclude (id_rank, kept_line),
        'reject' as status,
        'duplicate id in file (line ' || kept_line || ' loads)' as reason
    from ranked
    where id_rank > 1
),

decided as (
    select
        firsts.* exclude (id_rank, kept_line),
        case
            when copied_texts.first_line < firsts.line then 'duplicate'
            when known_texts.feedback_id is not null
                and known_texts.feedback_id <> $source || ':' || firsts.external_id
                then 'duplicate'
            when retweet_originals.original is not null then 'duplicate'
            else 'load'
        end as status,
        case
            when copied_texts.first_line < firsts.line
                then 'same text and time as line ' || copied_texts.first_line
            when known_texts.feedback_id is not null
                and known_texts.feedback_id <> $source || ':' || firsts.external_id
                then 'same text and time as ' || known_texts.feedback_id
            when retweet_originals.original is not null
                then 'retweet of ' || retweet_originals.original
        end as reason
    from ranked as firsts
    left join copied_texts
        on copied_texts.text_hash = firsts.text_hash
        and copied_texts.created_at = firsts.created_at
    left join known_texts
        on known_texts.text_hash = firsts.text_hash
        and known_texts.created_at = firsts.created_at
    left join retweet_originals on retweet_originals.line = firsts.line
    where firsts.id_rank = 1
),

unioned as (
    select * from rejected
    union all by name
    select * from id_duplicates
    union all by name
    select * from decided
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
        reason
    from unioned
)

select * from final
