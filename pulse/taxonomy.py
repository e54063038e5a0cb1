"""CX operations' taxonomy file: renames, merges, hides, owners and notes.

The file is applied after every clustering run and before every re-render, so
an edit outlives the weekly re-fit. Errors name the file, the entry and the fix:
the person reading them is not a developer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from pulse.config import TOPICS_DIR
from pulse.errors import PulseError

TAXONOMY_FILE = TOPICS_DIR / "taxonomy.yaml"
_KEYS = {"id", "label", "hide", "merge_into", "owner", "notes"}


@dataclass
class TopicEdit:
    topic_id: int
    label: str | None = None
    hide: bool = False
    merge_into: int | None = None
    owner: str | None = None
    notes: str | None = None


def load_taxonomy(path: Path = TAXONOMY_FILE) -> list[TopicEdit]:
    """Read and check the file's own shape (ids against the database come later)."""
    if not path.exists():
        return []
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise PulseError(
            f"{path}: not valid YAML ({exc}); fix the indentation or quoting"
        ) from None
    entries = document.get("topics") or []
    if not isinstance(entries, list):
        raise PulseError(f"{path}: 'topics' must be a list of entries starting with '- id:'")
    edits: list[TopicEdit] = []
    labels: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, entry {number}"
        if not isinstance(entry, dict) or "id" not in entry:
            raise PulseError(f"{where}: each entry needs an 'id:' (see `pulse topics list`)")
        unknown = set(entry) - _KEYS
        if unknown:
            raise PulseError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(_KEYS)}")
        try:
            edit = TopicEdit(
                topic_id=int(entry["id"]),
                label=str(entry["label"]).strip() if entry.get("label") else None,
                hide=bool(entry.get("hide", False)),
                merge_into=int(entry["merge_into"]) if entry.get("merge_into") else None,
                owner=entry.get("owner"),
                notes=entry.get("notes"),
            )
        except (TypeError, ValueError):
            raise PulseError(f"{where}: 'id' and 'merge_into' must be topic numbers") from None
        if edit.label:
            key = edit.label.casefold()
            if key in labels:
                raise PulseError(
                    f"{where}: label {edit.label!r} is already used by topic {labels[key]}; "
                    "merge the two topics instead of giving them one name"
                )
            labels[key] = edit.topic_id
        edits.append(edit)
    _check_merges(edits, path)
    return edits


def _check_merges(edits: list[TopicEdit], path: Path) -> None:
    target = {e.topic_id: e.merge_into for e in edits if e.merge_into is not None}
    for start in target:
        seen, current = [start], target[start]
        while current is not None:
            if current in seen:
                chain = " -> ".join(str(t) for t in [*seen, current])
                raise PulseError(f"{path}: merge cycle {chain}; remove one of these merge_into")
            seen.append(current)
            current = target.get(current)


def apply_taxonomy(con: duckdb.DuckDBPyConnection, path: Path = TAXONOMY_FILE) -> int:
    """Apply the file to the topic registry; returns how many topics it touched."""
    edits = load_taxonomy(path)
    known = {row[0] for row in con.execute("select topic_id from topics").fetchall()}
    # Start from Pulse's own view, so removing a line from the file undoes its edit.
    con.execute(
        """
        update topics set label = auto_label, owner = null, notes = null, merged_into = null,
            status = case when status in ('hidden', 'merged') then 'active' else status end
        """
    )
    final_target = {e.topic_id: e.merge_into for e in edits if e.merge_into is not None}
    for edit in edits:
        for topic in (edit.topic_id, edit.merge_into):
            if topic is not None and topic not in known:
                raise PulseError(
                    f"{path}: topic {topic} does not exist; the current topics are listed by "
                    "`pulse topics list`"
                )
        target = edit.merge_into
        while target in final_target:  # merge chains end at their last topic
            target = final_target[target]
        con.execute(
            """
            update topics set
                label = coalesce($label, auto_label),
                owner = $owner,
                notes = $notes,
                merged_into = $merged_into,
                status = case when $merged_into is not null then 'merged'
                              when $hide then 'hidden' else status end
            where topic_id = $topic_id
            """,
            {
                "label": edit.label,
                "owner": edit.owner,
                "notes": edit.notes,
                "merged_into": target,
                "hide": edit.hide,
                "topic_id": edit.topic_id,
            },
        )
    return len(edits)
