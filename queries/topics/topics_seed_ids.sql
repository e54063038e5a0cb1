-- one row per seed ever registered: the topic it owns
select seed_key, topic_id from topic_seeds
