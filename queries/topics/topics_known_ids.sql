-- one row per topic of the registry, any level or status
select topic_id from topics
