-- one row per row that did not load (rejected or duplicate), newest first; all files, or
-- the one named ($file = '')
select source, file, line, reason, raw, coalesce(status, 'rejected') as status, rejected_at
from rejected_rows
where $file = '' or file = $file
order by rejected_at desc, file, line
