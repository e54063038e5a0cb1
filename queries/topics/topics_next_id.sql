-- one row: the next topic id; the sequence never hands out a number twice
select nextval('topic_id_seq') as topic_id
