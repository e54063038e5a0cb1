-- puts a sub-theme under its issue
update topics set parent_id = $parent_id where topic_id = $topic_id
