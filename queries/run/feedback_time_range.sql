-- one row: the first and last moment (UTC) of any text in the database, and how many texts
-- there are (nulls and 0 when there are none)
select
    min(created_at) as first_created_at,
    max(created_at) as last_created_at,
    count(*) as text_count
from feedback
