-- a run's topic of each text (new_doc_topics: run_id, feedback_id, topic_id, probability,
-- registered by pulse/topics/assignments.py)
insert into doc_topics select * from new_doc_topics
