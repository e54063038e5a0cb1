-- one row per non-blank line of a JSON Lines file, with the reason it cannot be a record
-- (null when it parses as a JSON object or array). Reads ingest_json_lines(line, doc).
with final as (
    select
        line,
        doc,
        case
            when not json_valid(doc) then 'not valid JSON'
            when json_type(doc::json) not in ('OBJECT', 'ARRAY') then 'not a JSON object'
        end as reason
    from ingest_json_lines
    where doc is not null and trim(doc) <> ''
)

select * from final
