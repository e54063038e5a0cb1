-- one row per line the CSV reader could not parse (its own line number and text),
-- from the reject table DuckDB's read_csv fills when store_rejects is on
with errors as (
    select
        line,
        error_type,
        csv_line,
        row_number() over (partition by line order by column_idx nulls first) as error_no
    from ingest_reject_errors
),

final as (
    select
        line,
        case error_type
            when 'INVALID ENCODING' then 'undecodable bytes (not the declared encoding)'
            when 'MISSING COLUMNS' then 'too few columns'
            when 'TOO MANY COLUMNS' then 'too many columns'
            when 'UNQUOTED VALUE' then 'malformed quoting'
            when 'LINE SIZE OVER MAXIMUM' then 'line too long'
            else 'unreadable row (' || lower(error_type) || ')'
        end as reason,
        csv_line as raw
    from errors
    where error_no = 1
)

select * from final
