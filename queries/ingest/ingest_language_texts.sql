-- one row per row of the batch that loads: the redacted text whose language ingest detects
-- (pulse.ingest.language); the result goes to the temp table ingest_languages (line, language)
select line, text_redacted
from ingest_rows
where status = 'load'
