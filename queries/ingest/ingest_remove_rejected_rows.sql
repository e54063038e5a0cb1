-- deletes the rejected_rows rows of $sources (pulse sources remove); the statement's one row
-- counts them
delete from rejected_rows where source in $sources
