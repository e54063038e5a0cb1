-- one row per text of the batch that SQL could not clean (markup, line breaks, other
-- characters): what Python cleans, then screens for redaction
select line, text_raw from ingest_typed where text_raw is not null
