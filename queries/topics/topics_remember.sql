-- remembers each text's topic after this fit (new_memory: feedback_id, topic_id, registered
-- by pulse/topics/assignments.py) for the next run's matching
insert or replace into topic_doc_memory select * from new_memory
