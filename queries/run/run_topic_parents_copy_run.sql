-- gives run $run_id the issue of each sub-theme that the earlier run $reused recorded
insert or replace into run_topic_parents
select $run_id, topic_id, parent_id
from run_topic_parents
where run_id = $reused
