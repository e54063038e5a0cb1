-- adds the file's good rows when none of their feedback_ids is known yet (ingest_row_counts
-- found rows_new = rows_loaded): ingest_insert_feedback.sql without its anti join, which
-- on a first load of a large file only costs time
insert into feedback (
    feedback_id, source, external_id, kind, channel, created_at, updated_at, text,
    text_redacted, text_hash, language, member_tier, csat, nps, first_response_minutes,
    resolution_minutes, is_escalated, reach, url, file, line, loaded_at, feedback_type
)
select
    rows.feedback_id, $source, rows.external_id, $kind, rows.channel, rows.created_at,
    rows.updated_at, rows.text, rows.text_redacted, rows.text_hash, languages.language,
    rows.member_tier, rows.csat, rows.nps, rows.first_response_minutes,
    rows.resolution_minutes, rows.is_escalated, rows.reach, rows.url, files.file,
    rows.line & 4294967295, $now, $feedback_type
from ingest_rows as rows
inner join ingest_batch_files as files on files.file_no = rows.line >> 32
left join ingest_languages as languages on languages.line = rows.line
where rows.status = 'load'
