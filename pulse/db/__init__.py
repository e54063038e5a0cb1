"""DuckDB access: one file, the schema, and the SQL files in `queries/`.

- `pulse.db.connection`: open the file (schema at every connect), wait out other holders,
  the run lock;
- `pulse.db.queries`: find a query file by name, run it with checked `$name` parameters;
- `pulse.db.snapshots`: the analysts' copy, reading it or the live file, and `pulse restore`;
- `pulse.db.analyst`: the analysts' queries, their declared parameters checked by type;
- `pulse.db.versions`: a file a newer DuckDB wrote, named with the fix;
- `pulse.db.damage`: a file that is not whole, and `explain` for what a command raised.
"""

from pulse.db.connection import (
    MEMORY_LIMIT,
    DatabaseBusy,
    connect,
    database_embedder,
    finish_pending,
    lock_holder,
    remember_database_embedder,
    require_database,
    run_lock,
    run_lock_holder,
    set_database_embedder,
)
from pulse.db.damage import (
    DatabaseDamaged,
    damaged_file,
    damaged_message,
    explain,
    is_damage,
    snapshot_path,
)
from pulse.db.queries import (
    fetch_dicts,
    query_params,
    query_path,
    run_query,
    schema_files,
    sql_text,
)
from pulse.db.snapshots import check_whole, open_for_reading, restore_snapshot, snapshot

__all__ = [
    "MEMORY_LIMIT",
    "DatabaseBusy",
    "DatabaseDamaged",
    "check_whole",
    "connect",
    "database_embedder",
    "damaged_file",
    "damaged_message",
    "explain",
    "fetch_dicts",
    "finish_pending",
    "is_damage",
    "lock_holder",
    "remember_database_embedder",
    "open_for_reading",
    "run_lock_holder",
    "query_params",
    "query_path",
    "require_database",
    "restore_snapshot",
    "run_lock",
    "run_query",
    "schema_files",
    "set_database_embedder",
    "snapshot",
    "snapshot_path",
    "sql_text",
]
