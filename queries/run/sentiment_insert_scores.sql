-- stores one chunk's scores (the registered table new_sentiment), replacing a text's earlier
-- score from another model
insert or replace into sentiment
select * from new_sentiment
