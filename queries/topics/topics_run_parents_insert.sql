-- records a sub-theme's issue in one run
insert into run_topic_parents (run_id, topic_id, parent_id)
values ($run_id, $topic_id, $parent_id)
