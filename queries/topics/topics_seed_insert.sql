-- records which topic a seed seen for the first time owns, and when
insert into topic_seeds (seed_key, topic_id, name, examples, registered_at)
values ($seed_key, $topic_id, $name, $examples, now())
