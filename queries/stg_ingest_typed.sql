-- one row per feedback candidate in the file being loaded: typed values, the first
-- reason (if any) the row cannot load, and for rows that pass, the text. Reads
-- ingest_input, which the mapping projects from the raw file with every column as varchar.
-- A plain text (only $plain_charset: printable, NFKC-stable, no markup, entities or line
-- breaks) is cleaned here, as clean_text would (runs of spaces collapse), and
-- is_redaction_candidate says whether any redaction gate ($any_gate) matches it; any other
-- passing text comes as text_raw for Python's clean_text.
with trimmed as (
    select
        line,
        nullif(trim(external_id), '') as external_id,
        nullif(trim(created_at_raw), '') as created_at_raw,
        nullif(trim(updated_at_raw), '') as updated_at_raw,
        text_raw,
        nullif(lower(trim(channel_raw)), '') as channel,
        nullif(lower(trim(member_tier_raw)), '') as member_tier,
        nullif(trim(csat_raw), '') as csat_raw,
        nullif(trim(nps_raw), '') as nps_raw,
        nullif(trim(first_response_raw), '') as first_response_raw,
        nullif(trim(resolution_raw), '') as resolution_raw,
        nullif(lower(trim(is_escalated_raw)), '') as is_escalated_raw,
        nullif(trim(reach_raw), '') as reach_raw,
        nullif(trim(url_raw), '') as url
    from ingest_input
),

parsed as (
    select
        *,
        -- ISO 8601 with an offset (or Z) is converted to UTC; without one it is taken as UTC
        -- (pulse.ingest runs this with the session time zone set to UTC); the Twitter API v1
        -- form (Tue Oct 31 22:10:47 +0000 2017) is read too.
        timezone('UTC', coalesce(
            try_cast(created_at_raw as timestamptz),
            try_strptime(created_at_raw, '%a %b %d %H:%M:%S %z %Y')
        )) as created_at,
        timezone('UTC', coalesce(
            try_cast(updated_at_raw as timestamptz),
            try_strptime(updated_at_raw, '%a %b %d %H:%M:%S %z %Y')
        )) as updated_at,
        try_cast(csat_raw as double) as csat_number,
        try_cast(nps_raw as double) as nps_number,
        try_cast(first_response_raw as double) as first_response_minutes,
        try_cast(resolution_raw as double) as resolution_minutes,
        case
            when is_escalated_raw in ('true', 't', '1', 'yes', 'y') then true
            when is_escalated_raw in ('false', 'f', '0', 'no', 'n') then false
        end as is_escalated,
        try_cast(try_cast(reach_raw as double) as bigint) as reach
    from trimmed
),

checked as (
    select
        line,
        text_raw,
        external_id,
        created_at,
        updated_at,
        channel,
        member_tier,
        cast(csat_number as integer) as csat,
        cast(nps_number as integer) as nps,
        first_response_minutes,
        resolution_minutes,
        is_escalated,
        reach,
        url,
        case
            when external_id is null then 'missing id'
            -- (a search for one other character, not a trimmed copy of every text)
            when text_raw is null or not regexp_matches(text_raw, '[^ \t\r\n]')
                then 'missing text'
            when created_at_raw is null then 'missing created_at'
            when created_at is null then 'unparseable created_at'
            when created_at > $now + interval 1 hour then 'created_at in the future'
            when created_at < timestamp '2000-01-01' then 'created_at before 2000'
            when updated_at_raw is not null and updated_at is null then 'unparseable updated_at'
            when updated_at > $now + interval 1 hour then 'updated_at in the future'
            when csat_raw is not null and csat_number is null then 'csat not a number'
            when csat_number not between 1 and 5 or csat_number <> round(csat_number)
                then 'csat out of range 1-5'
            when nps_raw is not null and nps_number is null then 'nps not a number'
            when nps_number not between 0 and 10 or nps_number <> round(nps_number)
                then 'nps out of range 0-10'
            when first_response_raw is not null and first_response_minutes is null
                then 'first_response_minutes not a number'
            when first_response_minutes < 0 then 'first_response_minutes negative'
            when resolution_raw is not null and resolution_minutes is null
                then 'resolution_minutes not a number'
            when resolution_minutes < 0 then 'resolution_minutes negative'
            when is_escalated_raw is not null and is_escalated is null
                then 'is_escalated not true/false'
            when reach_raw is not null and reach is null then 'reach not a number'
            when reach < 0 then 'reach negative'
        end as reason
    from parsed
),

plain as (
    select
        * exclude (text_raw),
        case when reason is null then text_raw end as text_raw,
        reason is null and regexp_full_match(text_raw, $plain_charset) as is_plain
    from checked
),

collapsed as (
    select
        * exclude (text_raw),
        case
            -- most texts have no spaces to drop: they pass through uncopied
            when is_plain and (
                contains(text_raw, '  ') or starts_with(text_raw, ' ') or ends_with(text_raw, ' ')
            ) then trim(regexp_replace(text_raw, ' {2,}', ' ', 'g'))
            when is_plain then text_raw
        end as text,
        case when not is_plain then text_raw end as text_raw
    from plain
),

final as (
    select
        * exclude (is_plain),
        coalesce(text <> '' and regexp_matches(text, $any_gate), false)
            as is_redaction_candidate
    from collapsed
)

select * from final
