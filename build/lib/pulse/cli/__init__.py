"""The `pulse` command: its parser and error handling in `main.py`, a module per group of
commands (`run`, `ingest`, `status`, `schedule`, `topics`)."""
