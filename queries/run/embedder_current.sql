-- one row (or none): the embedder the newest run clustered with, the registry's vectors'
select model
from embedder_choices
order by chosen_at desc, run_id desc
limit 1
