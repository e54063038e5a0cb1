-- Texts per weekday (ISO: 1 = Monday .. 7 = Sunday, in the report's zone) of the run's week
-- and of the week before it, and whether any text comes after the week: does the data stop
-- before the run's week ends?
select
    created_at >= $week_start as this_week,
    isodow(timezone($tz, created_at at time zone 'UTC')) as weekday,
    count(*) as texts,
    exists (select 1 from feedback where created_at >= $week_end) as later
from feedback
where created_at >= $previous_start and created_at < $week_end
group by all
