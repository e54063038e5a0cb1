-- replaces known rows with this file's version when it is newer (updated_at, else
-- created_at); an equal or older version changes nothing, so reloads are no-ops
update feedback set
    channel = rows.channel,
    created_at = rows.created_at,
    updated_at = rows.updated_at,
    text = rows.text,
    text_redacted = rows.text_redacted,
    text_hash = rows.text_hash,
    language = languages.language,
    member_tier = rows.member_tier,
    csat = rows.csat,
    nps = rows.nps,
    first_response_minutes = rows.first_response_minutes,
    resolution_minutes = rows.resolution_minutes,
    is_escalated = rows.is_escalated,
    reach = rows.reach,
    url = rows.url,
    file = files.file,
    line = rows.line & 4294967295,
    loaded_at = $now,
    feedback_type = $feedback_type
from ingest_rows as rows
inner join ingest_batch_files as files on files.file_no = rows.line >> 32
left join ingest_languages as languages on languages.line = rows.line
where rows.status = 'load'
    and rows.feedback_id = feedback.feedback_id
    and coalesce(rows.updated_at, rows.created_at)
        > coalesce(feedback.updated_at, feedback.created_at)
