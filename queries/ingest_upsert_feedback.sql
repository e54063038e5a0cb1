-- loads the file's good rows: a new feedback_id inserts; a known one is replaced only
-- when this version is newer (updated_at, else created_at), so reloads change nothing.
insert into feedback (
    feedback_id, source, external_id, kind, channel, created_at, updated_at, text,
    text_redacted, text_hash, language, member_tier, csat, nps, first_response_minutes,
    resolution_minutes, is_escalated, reach, url, file, line, loaded_at
)
select
    feedback_id, $source, external_id, $kind, channel, created_at, updated_at, text,
    text_redacted, text_hash, null, member_tier, csat, nps, first_response_minutes,
    resolution_minutes, is_escalated, reach, url, $file, line, $now
from ingest_rows
where status = 'load'
on conflict (feedback_id) do update set
    channel = excluded.channel,
    created_at = excluded.created_at,
    updated_at = excluded.updated_at,
    text = excluded.text,
    text_redacted = excluded.text_redacted,
    text_hash = excluded.text_hash,
    member_tier = excluded.member_tier,
    csat = excluded.csat,
    nps = excluded.nps,
    first_response_minutes = excluded.first_response_minutes,
    resolution_minutes = excluded.resolution_minutes,
    is_escalated = excluded.is_escalated,
    reach = excluded.reach,
    url = excluded.url,
    file = excluded.file,
    line = excluded.line,
    loaded_at = excluded.loaded_at
where coalesce(excluded.updated_at, excluded.created_at)
    > coalesce(feedback.updated_at, feedback.created_at)
