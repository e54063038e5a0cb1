-- one row per reading of a file the database holds: what a run's inputs were
select
    file,
    fingerprint,
    source
from loaded_files
order by file
