-- one row per text created in [$window_start, $window_end) that has no language: loaded before
-- ingest detected languages, or one the detector could not tell (which it then tells again)
select feedback_id, text_redacted
from feedback
where language is null
    and created_at >= $window_start
    and created_at < $window_end
