-- _pulse_offset_minutes(text): the size in minutes of a UTC offset written "+05:30",
-- "-0800" or "Z" (0 for none), which the timestamp SQL of pulse.ingest.times checks;
-- the loader creates it (temporary) once per load
create or replace temp macro _pulse_offset_minutes(text) as
case when text is null or text in ('', 'Z') then 0
else coalesce(try_cast(substr(replace(text, ':', ''), 2, 2) as integer), 0) * 60
+ coalesce(try_cast(nullif(substr(replace(text, ':', ''), 4, 2), '') as integer), 0) end
