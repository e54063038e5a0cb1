-- deletes the loaded_files rows of $sources (pulse sources remove); the statement's one row
-- counts them
delete from loaded_files where source in $sources
