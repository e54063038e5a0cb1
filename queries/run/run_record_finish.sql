-- records how a run ended: its outcome, timings, row counts, inputs, outputs and error
update runs set
    outcome = $outcome,
    finished_at = now(),
    timings = $timings,
    row_counts = $counts,
    input_fingerprints = $fingerprints,
    output_dir = $output_dir,
    error = $error
where run_id = $run_id
