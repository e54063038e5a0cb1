-- one row: whether the database holds texts from any source but the demo's ($demo_sources)
select count(*) > 0 as has_user_data
from (select 1 from feedback where source not in $demo_sources limit 1)
