-- one row: how many of a shard's vectors ($vectors) belong to its texts ($texts), how many
-- vectors there are, and the models they were made with
select
    count(t.text_hash) as matched_count,
    count(*) as vector_count,
    list(distinct v.model) as models
from read_parquet($vectors) as v
left join read_parquet($texts) as t on t.text_hash = v.text_hash
