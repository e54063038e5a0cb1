-- a seeded topic carries its seed's name, owner and notes (an edit of the topic may override)
update topics set label = $name, auto_label = $name, owner = $owner, notes = $notes
where topic_id = $topic_id
