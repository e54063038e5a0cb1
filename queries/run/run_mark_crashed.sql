-- marks the runs $ids as crashed, keeping a finish time or error they recorded already
update runs set
    outcome = 'crashed',
    finished_at = coalesce(finished_at, now()),
    error = coalesce(error, 'the process ended before the run finished')
where run_id in $ids
