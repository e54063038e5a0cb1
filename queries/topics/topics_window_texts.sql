-- one row per text of a run's window, by feedback_id: what the topics stage clusters
-- (pulse/topics/window.py). Labels are read off text_redacted (what any output may show);
-- the brand's handles off text; each topic is named in its texts' language (ISO 639-1, or
-- NULL: unknown). weeks_ago: whole weeks from the text to the window's end (0: its last
-- week), in microseconds so no time zone or float enters.
select
    f.feedback_id,
    f.text_redacted,
    f.text_hash,
    (epoch_us($window_end) - epoch_us(f.created_at)) // 604800000000 as weeks_ago,
    (select min(s.label) from sentiment as s where s.feedback_id = f.feedback_id)
        as sentiment_label,
    f.text,
    f.language
from feedback as f
where f.created_at >= $window_start and f.created_at < $window_end
order by f.feedback_id
