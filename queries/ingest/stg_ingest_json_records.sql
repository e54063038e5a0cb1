-- one row per record of a JSON source: a JSON Lines line, an element of a top-level array,
-- or an element of the array under $records in each document (Twitter API v2 "data",
-- Zendesk "tickets"). Reads ingest_json_docs(line, doc); documents without $records are
-- records themselves. line stays the file's line when every document is one record.
-- $records_path is the JSON path of that array ('$."data"'), $records_items the same with
-- '[*]'; a source without one passes a path no document has.
with docs as (
    select
        line,
        doc,
        case
            when json_type(doc) = 'ARRAY' then json_extract(doc, '$[*]')
            when json_type(json_extract(doc, $records_path)) = 'ARRAY'
                then json_extract(doc, $records_items)
            else [doc]
        end as items
    from ingest_json_docs
),

records as (
    select line, unnest(items) as doc, generate_subscripts(items, 1) as item_no
    from docs
),

final as (
    select
        case
            when (select max(len(items)) from docs) = 1 and (select count(*) from docs) > 0
                then line
            -- numbered within its file (the file's number sits in the bits above 32)
            else ((line >> 32) << 32) + row_number() over (partition by line >> 32 order by line, item_no)
        end as line,
        doc
    from records
)

select * from final
