-- deletes the doc_topics rows of the texts of $sources (pulse sources remove); the
-- statement's one row counts them
delete from doc_topics where feedback_id in
    (select feedback_id from feedback where source in $sources)
