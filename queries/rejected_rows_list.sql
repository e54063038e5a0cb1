-- one row per rejected record, newest first; all files, or the one named ($file = '')
select source, file, line, reason, raw, rejected_at
from rejected_rows
where $file = '' or file = $file
order by rejected_at desc, file, line
