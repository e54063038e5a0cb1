-- sets the language of the texts in found_languages (feedback_id, language), registered by
-- pulse.ingest.language_backfill; a text still without a language is not in it
update feedback set language = found.language
from found_languages as found
where found.feedback_id = feedback.feedback_id
