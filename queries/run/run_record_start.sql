-- records a run as running; a run id given again (a retried start) replaces its row
insert or replace into runs (run_id, week, parameters, code_version, outcome, started_at)
values ($run_id, $week, $parameters, $code_version, 'running', now())
