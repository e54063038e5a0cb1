-- one row (or none): the registry's merge grain, read off its first fit with enough clusters
select value from topic_meta where key = 'merge_threshold'
