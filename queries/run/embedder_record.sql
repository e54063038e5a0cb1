-- records the embedder a run clusters with (a rerun of the same run id keeps one row)
insert or replace into embedder_choices
    (run_id, week, model, known_language_texts, other_language_texts)
values ($run_id, $week, $model, $known, $other)
