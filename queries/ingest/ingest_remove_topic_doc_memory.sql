-- deletes the topic_doc_memory rows of the texts of $sources (pulse sources remove); the
-- statement's one row counts them
delete from topic_doc_memory where feedback_id in
    (select feedback_id from feedback where source in $sources)
