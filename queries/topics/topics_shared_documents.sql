-- one row per fitted cluster and earlier topic: how many of the cluster's texts that topic
-- held after the last fit. window_clusters (feedback_id, cluster) is registered by
-- pulse/topics/assignments.py; seeds' clusters (from $seed_cluster_base) and unassigned
-- texts count under cluster -1, texts no earlier fit assigned under topic -1.
select
    case when w.cluster >= 0 and w.cluster < $seed_cluster_base then w.cluster else -1 end
        as cluster,
    coalesce(m.topic_id, -1) as topic_id,
    count(*) as text_count
from window_clusters as w
left join topic_doc_memory as m using (feedback_id)
group by all
order by all
