-- deletes the feedback rows of $sources (pulse sources remove); the statement's one row
-- counts them
delete from feedback where source in $sources
