-- one row per run $run_id (none when unknown): the last day a partial run covered, or null
select json_extract_string(parameters, '$.partial_through') as partial_through
from runs
where run_id = $run_id
