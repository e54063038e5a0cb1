-- one row per plain text of the batch (cleaned in SQL) with a redaction gate open: what
-- Python redacts of them
select line, text, is_redaction_candidate from ingest_typed where is_redaction_candidate
