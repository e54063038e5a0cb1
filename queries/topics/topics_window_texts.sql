-- one row per text of a run's window, by feedback_id: what the topics stage clusters
-- (pulse/topics/window.py). Labels are read off text_redacted (what any output may show);
-- the brand's handles off text; each topic is named in its texts' language (ISO 639-1, or
-- NULL: unknown).
select
    f.feedback_id,
    f.text_redacted,
    f.text_hash,
    f.created_at,
    (select min(s.label) from sentiment as s where s.feedback_id = f.feedback_id)
        as sentiment_label,
    f.text,
    f.language
from feedback as f
where f.created_at >= $window_start and f.created_at < $window_end
order by f.feedback_id
