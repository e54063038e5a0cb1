-- records which topic a seed seen for the first time owns
insert into topic_seeds (seed_key, topic_id, name, examples)
values ($seed_key, $topic_id, $name, $examples)
