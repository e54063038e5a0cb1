-- one row per feedback candidate in the file being loaded: typed values, the first
-- reason (if any) the row cannot load, and for rows that pass, the text. Reads
-- ingest_input_times: the mapping's projection of the raw file (every column as varchar)
-- with its timestamps already parsed (pulse.ingest.times: created_at_tz, and the offset in
-- minutes each value carried). A reason about one value keeps that value in reason_value,
-- so the loader can show it with the fix. A plain text (only $plain_charset: printable,
-- NFKC-stable, no markup, entities or line breaks) is cleaned here, as clean_text would
-- (runs of spaces collapse), and is_redaction_candidate says whether any redaction gate
-- ($any_gate) matches it; any other passing text comes as text_raw for Python's clean_text.
with trimmed as (
    select
        line,
        nullif(trim(external_id), '') as external_id,
        created_at_text as created_at_raw,
        updated_at_text as updated_at_raw,
        created_at_tz,
        updated_at_tz,
        created_at_offset_minutes,
        updated_at_offset_minutes,
        json_fault,
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
    from ingest_input_times
),

parsed as (
    select
        *,
        -- naive UTC: the offset (or the mapping's time zone) was applied when parsing
        timezone('UTC', created_at_tz) as created_at,
        timezone('UTC', updated_at_tz) as updated_at,
        try_cast(csat_raw as double) as csat_number,
        try_cast(nps_raw as double) as nps_number,
        try_cast(first_response_raw as double) as first_response_number,
        try_cast(resolution_raw as double) as resolution_number,
        case
            when is_escalated_raw in ('true', 't', '1', 'yes', 'y') then true
            when is_escalated_raw in ('false', 'f', '0', 'no', 'n') then false
        end as is_escalated,
        try_cast(reach_raw as double) as reach_number
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
        -- only a value in range is cast: NaN, inf or 1e10 must not fail the whole file
        case when csat_number between 1 and 5 then cast(csat_number as integer) end as csat,
        case when nps_number between 0 and 10 then cast(nps_number as integer) end as nps,
        case
            when first_response_number between 0 and $max_minutes then first_response_number
        end as first_response_minutes,
        case
            when resolution_number between 0 and $max_minutes then resolution_number
        end as resolution_minutes,
        is_escalated,
        case when reach_number between 0 and $max_reach then cast(reach_number as bigint) end
            as reach,
        url,
        case
            when external_id is null then 'missing id'
            when length(external_id) > $max_id_chars then 'id too long'
            when json_fault is not null then json_fault
            -- (a search for one other character, not a trimmed copy of every text)
            when text_raw is null or not regexp_matches(text_raw, '[^ \t\r\n]')
                then 'missing text'
            when length(text_raw) > $max_text_chars then 'text too long'
            when created_at_raw is null then 'missing created_at'
            when created_at_offset_minutes > $max_offset_minutes then 'created_at offset too large'
            when created_at is null then 'unparseable created_at'
            when created_at > $now + interval 1 hour then 'created_at in the future'
            when created_at < timestamp '2000-01-01' then 'created_at before 2000'
            when updated_at_offset_minutes > $max_offset_minutes then 'updated_at offset too large'
            when updated_at_raw is not null and updated_at is null then 'unparseable updated_at'
            when updated_at > $now + interval 1 hour then 'updated_at in the future'
            when csat_raw is not null and csat_number is null then 'csat not a number'
            when csat_number not between 1 and 5 or csat_number <> round(csat_number)
                or not isfinite(csat_number) then 'csat out of range 1-5'
            when nps_raw is not null and nps_number is null then 'nps not a number'
            when nps_number not between 0 and 10 or nps_number <> round(nps_number)
                or not isfinite(nps_number) then 'nps out of range 0-10'
            when first_response_raw is not null and first_response_number is null
                then 'first_response_minutes not a number'
            when not first_response_number between 0 and $max_minutes
                or not isfinite(first_response_number)
                then 'first_response_minutes out of range'
            when resolution_raw is not null and resolution_number is null
                then 'resolution_minutes not a number'
            when not resolution_number between 0 and $max_minutes
                or not isfinite(resolution_number)
                then 'resolution_minutes out of range'
            when is_escalated_raw is not null and is_escalated is null
                then 'is_escalated not true/false'
            when reach_raw is not null and reach_number is null then 'reach not a number'
            when not reach_number between 0 and $max_reach or not isfinite(reach_number)
                then 'reach out of range'
        end as reason,
        created_at_raw,
        updated_at_raw,
        csat_raw,
        nps_raw,
        first_response_raw,
        resolution_raw,
        is_escalated_raw,
        reach_raw
    from parsed
),

-- the value a reason is about, for the message that shows it (pulse.ingest.reasons)
valued as (
    select
        * exclude (
            created_at_raw, updated_at_raw, csat_raw, nps_raw, first_response_raw,
            resolution_raw, is_escalated_raw, reach_raw
        ),
        case
            when reason is null then null
            when starts_with(reason, 'created_at') or reason = 'unparseable created_at'
                then created_at_raw
            when starts_with(reason, 'updated_at') or reason = 'unparseable updated_at'
                then updated_at_raw
            when starts_with(reason, 'csat') then csat_raw
            when starts_with(reason, 'nps') then nps_raw
            when starts_with(reason, 'first_response') then first_response_raw
            when starts_with(reason, 'resolution') then resolution_raw
            when starts_with(reason, 'is_escalated') then is_escalated_raw
            when starts_with(reason, 'reach') then reach_raw
            when reason = 'id too long' then cast(length(external_id) as varchar)
            when reason = 'text too long' then cast(length(text_raw) as varchar)
        end as reason_value
    from checked
),

plain as (
    select
        * exclude (text_raw),
        case when reason is null then text_raw end as text_raw,
        reason is null and regexp_full_match(text_raw, $plain_charset) as is_plain
    from valued
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
