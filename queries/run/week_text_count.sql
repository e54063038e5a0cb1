-- one row: how many texts fall in [$start, $end), a run's own week (naive UTC bounds)
select count(*) as text_count
from feedback
where created_at >= $start and created_at < $end
