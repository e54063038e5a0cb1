-- one row per feedback candidate in the file being loaded, with its fate:
-- status load | reject | duplicate and why. Reads ingest_typed (stg_ingest_typed.sql)
-- and ingest_clean (the cleaned and redacted texts, one per line that passed the checks).
with joined as (
    select
        typed.*,
        clean.text,
        clean.text_redacted,
        sha256(clean.text) as text_hash,
        coalesce(
            typed.reason,
            case when clean.text is null or clean.text = '' then 'empty text after cleaning' end
        ) as row_reason
    from ingest_typed as typed
    left join ingest_clean as clean on clean.line = typed.line
),

-- A re-exported ticket can appear twice in one file: the newest version loads.
ranked as (
    select
        *,
        row_number() over (
            partition by external_id
            order by coalesce(updated_at, created_at) desc, line
        ) as id_rank,
        first_value(line) over (
            partition by external_id
            order by coalesce(updated_at, created_at) desc, line
        ) as kept_line
    from joined
    where row_reason is null
),

-- The same text at the same moment under another id is one message sent (or exported) twice.
exact_duplicates as (
    select
        line,
        min(line) over (partition by text_hash, created_at) as first_line,
        count(*) over (partition by text_hash, created_at) as copies
    from ranked
    where id_rank = 1
),

-- only earlier rows that share a text with this file are read
known_texts as (
    select text_hash, created_at, min(feedback_id) as feedback_id
    from feedback
    where source = $source
        and text_hash in (select text_hash from joined where row_reason is null)
    group by text_hash, created_at
),

retweets as (
    select line, sha256(regexp_replace(text, '^RT @\w+:\s*', '')) as original_hash
    from ranked
    where id_rank = 1 and regexp_matches(text, '^RT @\w+:')
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

final as (
    select
        joined.line,
        joined.external_id,
        $source || ':' || joined.external_id as feedback_id,
        joined.created_at,
        joined.updated_at,
        joined.text,
        joined.text_redacted,
        joined.text_hash,
        joined.channel,
        joined.member_tier,
        joined.csat,
        joined.nps,
        joined.first_response_minutes,
        joined.resolution_minutes,
        joined.is_escalated,
        joined.reach,
        joined.url,
        case
            when joined.row_reason is not null then 'reject'
            when ranked.id_rank > 1 then 'reject'
            when exact_duplicates.first_line < joined.line then 'duplicate'
            when known_texts.feedback_id is not null
                and known_texts.feedback_id <> $source || ':' || joined.external_id
                then 'duplicate'
            when retweet_originals.original is not null then 'duplicate'
            else 'load'
        end as status,
        case
            when joined.row_reason is not null then joined.row_reason
            when ranked.id_rank > 1
                then 'duplicate id in file (line ' || ranked.kept_line || ' loads)'
            when exact_duplicates.first_line < joined.line
                then 'same text and time as line ' || exact_duplicates.first_line
            when known_texts.feedback_id is not null
                and known_texts.feedback_id <> $source || ':' || joined.external_id
                then 'same text and time as ' || known_texts.feedback_id
            when retweet_originals.original is not null
                then 'retweet of ' || retweet_originals.original
        end as reason
    from joined
    left join ranked on ranked.line = joined.line
    left join exact_duplicates on exact_duplicates.line = joined.line
    left join known_texts
        on known_texts.text_hash = joined.text_hash and known_texts.created_at = joined.created_at
    left join retweet_originals on retweet_originals.line = joined.line
)

select * from final
