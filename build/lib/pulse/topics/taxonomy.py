"""CX operations' taxonomy file: renames, merges, hides, owners, notes, seeds and actions.

The file is applied after every clustering run and before every re-render, so
an edit outlives the weekly re-fit. Errors name the file, the line of the entry
and the fix: the person reading them is not a developer.

Which file: `$PULSE_TAXONOMY` when set (tests and staging point it at a copy),
otherwise `topics/taxonomy.yaml` beside the code.

The file is read defensively (`pulse.yaml_guard`): size, encoding, nesting and
anchors are checked before anything is built; the text a report prints loses
control and bidi characters and has a length cap, stated in the file's header.

Pure: this module reads and checks the file (each value through `taxonomy_fields`);
`taxonomy_apply` writes it into the registry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from pulse.config import TOPICS_DIR
from pulse.errors import PulseError
from pulse.topics.taxonomy_fields import (
    action_date,
    entry_place,
    flag,
    text_field,
    topic_number,
)
from pulse.yaml_guard import load_checked, read_text

TAXONOMY_FILE = TOPICS_DIR / "taxonomy.yaml"
TAXONOMY_ENV = "PULSE_TAXONOMY"
_KEYS = {"id", "label", "hide", "merge_into", "owner", "notes"}
_SEED_KEYS = {"name", "examples", "owner", "notes"}
_ACTION_KEYS = {"id", "action", "on", "owner"}
_SECTIONS = ("topics", "seeds", "actions")
MIN_SEED_EXAMPLES = 1
# Limits, stated in the file's header comment. Depth: root > topics > entry > examples is
# 4; 6 leaves room for a mistake to reach the check that names it. Caps count characters
# after control and bidi characters are removed; LABEL is for labels, seed names, owners.
MAX_FILE_BYTES, MAX_DEPTH = 1_000_000, 6
LABEL_MAX_CHARS, EXAMPLE_MAX_CHARS, NOTES_MAX_CHARS = 120, 500, 2_000
ACTION_MAX_CHARS = 200


def taxonomy_path() -> Path:
    """The taxonomy file in force: `$PULSE_TAXONOMY`, else the repository's own."""
    configured = os.environ.get(TAXONOMY_ENV)
    return Path(configured) if configured else TAXONOMY_FILE


@dataclass
class TopicEdit:
    """One `topics:` entry: what CX ops changed about one registry topic."""

    topic_id: int
    label: str | None = None
    hide: bool = False
    merge_into: int | None = None
    owner: str | None = None
    notes: str | None = None
    line: int = 0


@dataclass
class Seed:
    """One `seeds:` entry: a known issue CX ops want tracked even at low volume."""

    name: str
    examples: list[str]
    owner: str | None = None
    notes: str | None = None
    line: int = 0

    @property
    def key(self) -> str:
        """How a seed is recognised from run to run (its name, case-insensitive)."""
        return " ".join(self.name.split()).casefold()


@dataclass
class TopicAction:
    """One `actions:` entry: what CX ops did about a topic, and from which day.

    It keys on the stable topic id, so it outlives re-clustering; a report follows the
    topic's `merge_into` to the topic its texts now count under.
    """

    topic_id: int
    action: str
    on: date
    owner: str | None = None
    line: int = 0


@dataclass
class Taxonomy:
    """The whole file, checked for its own shape (ids against the database come later)."""

    path: Path
    edits: list[TopicEdit] = field(default_factory=list)
    seeds: list[Seed] = field(default_factory=list)
    actions: list[TopicAction] = field(default_factory=list)


def _entry_lines(root: yaml.Node | None, section: str) -> list[int]:
    """1-based line of each entry of a top-level list, so errors can point at it."""
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == section and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def read_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and check the file: keys, types, duplicate names, merge cycles.

    Checks against the database (does topic 17 exist?) happen in `apply_taxonomy`,
    because the file is also read where no database is open.
    """
    path = path or taxonomy_path()
    if not path.exists():
        return Taxonomy(path=path)
    return parse_taxonomy(path, taxonomy_text(path))


def taxonomy_text(path: Path) -> str:
    """The file's text, refused if too big or not UTF-8 (before any YAML is parsed)."""
    return read_text(path, MAX_FILE_BYTES, "taxonomy file")


def parse_taxonomy(path: Path, text: str) -> Taxonomy:
    """Check `text`, the content of `path`, as a taxonomy file.

    The run's reader and `pulse topics`' editor both call this, so they accept the same files.
    """
    root, document = load_checked(path, text, MAX_DEPTH)
    document = document or {}
    if not isinstance(document, dict):
        raise PulseError(
            f"{path}: the file must have a 'topics:' list (and may have 'seeds:' and 'actions:')"
        )
    unknown_sections = set(document) - set(_SECTIONS)
    if unknown_sections:
        raise PulseError(
            f"{path}: unknown section(s) {sorted(unknown_sections, key=str)}; use 'topics:', "
            "'seeds:' and 'actions:'"
        )
    taxonomy = Taxonomy(
        path=path,
        edits=_read_edits(path, document.get("topics"), _entry_lines(root, "topics")),
        seeds=_read_seeds(path, document.get("seeds"), _entry_lines(root, "seeds")),
        actions=_read_actions(
            path, document.get("actions"), _entry_lines(root, "actions"), _raw_keys(root)
        ),
    )
    _check_names(taxonomy)
    _check_merges(taxonomy)
    return taxonomy


def load_taxonomy(path: Path | None = None) -> list[TopicEdit]:
    """The file's topic edits (kept for callers that only need those)."""
    return read_taxonomy(path).edits


def _read_edits(path: Path, entries, lines: list[int]) -> list[TopicEdit]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise PulseError(f"{path}: 'topics' must be a list of entries starting with '- id:'")
    edits: list[TopicEdit] = []
    seen_ids: dict[int, str] = {}
    for number, entry in enumerate(entries, start=1):
        where = entry_place(path, lines, number)
        if not isinstance(entry, dict) or "id" not in entry:
            raise PulseError(f"{where}: each entry needs an 'id:' (see `pulse topics list`)")
        unknown = set(entry) - _KEYS
        if unknown:
            raise PulseError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(_KEYS)}")
        try:
            edit = TopicEdit(
                topic_id=topic_number(entry["id"]),
                label=text_field(where, "label", entry.get("label"), LABEL_MAX_CHARS),
                hide=flag(entry.get("hide", False)),
                merge_into=(
                    topic_number(entry["merge_into"])
                    if entry.get("merge_into") is not None
                    else None
                ),
                owner=text_field(where, "owner", entry.get("owner"), LABEL_MAX_CHARS),
                notes=text_field(where, "notes", entry.get("notes"), NOTES_MAX_CHARS),
                line=lines[number - 1] if number - 1 < len(lines) else 0,
            )
        except (TypeError, ValueError):
            raise PulseError(
                f"{where}: 'id' and 'merge_into' must be topic numbers and 'hide' true or "
                "false; see `pulse topics list` for the numbers"
            ) from None
        if edit.merge_into == edit.topic_id:
            raise PulseError(f"{where}: topic {edit.topic_id} cannot merge into itself")
        if edit.topic_id in seen_ids:
            raise PulseError(
                f"{where}: topic {edit.topic_id} already has an entry at "
                f"{seen_ids[edit.topic_id]}; "
                "put all its changes in one entry"
            )
        seen_ids[edit.topic_id] = where.rsplit(", ", 1)[-1]
        edits.append(edit)
    return edits


def _read_seeds(path: Path, entries, lines: list[int]) -> list[Seed]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise PulseError(f"{path}: 'seeds' must be a list of entries starting with '- name:'")
    seeds: list[Seed] = []
    for number, entry in enumerate(entries, start=1):
        where = entry_place(path, lines, number)
        name = (
            text_field(where, "name", entry.get("name"), LABEL_MAX_CHARS)
            if isinstance(entry, dict)
            else None
        )
        if not name:
            raise PulseError(f"{where}: each seed needs a 'name:' (what the report calls it)")
        unknown = set(entry) - _SEED_KEYS
        if unknown:
            raise PulseError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(_SEED_KEYS)}")
        examples = entry.get("examples")
        if isinstance(examples, str):
            examples = [examples]
        if not isinstance(examples, list):
            examples = []
        examples = [
            phrase
            for phrase in (text_field(where, "examples", e, EXAMPLE_MAX_CHARS) for e in examples)
            if phrase
        ]
        if len(examples) < MIN_SEED_EXAMPLES:
            raise PulseError(
                f"{where}: seed {name!r} needs 'examples:', a list of a few phrases "
                "customers use for this issue"
            )
        seeds.append(
            Seed(
                name=name,
                examples=examples,
                owner=text_field(where, "owner", entry.get("owner"), LABEL_MAX_CHARS),
                notes=text_field(where, "notes", entry.get("notes"), NOTES_MAX_CHARS),
                line=lines[number - 1] if number - 1 < len(lines) else 0,
            )
        )
    return seeds


def _raw_keys(root: yaml.Node | None) -> list[list[str] | None]:
    """Each `actions:` entry's keys as written, in order.

    PyYAML reads a bare `on:` key as the boolean true (YAML 1.1), so the keys an
    entry was written with are taken from the node tree rather than the built dict.
    """
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "actions" and isinstance(value, yaml.SequenceNode):
            return [
                [str(k.value) for k, _ in item.value]
                if isinstance(item, yaml.MappingNode)
                else None
                for item in value.value
            ]
    return []


def _read_actions(
    path: Path, entries, lines: list[int], raw_keys: list[list[str] | None]
) -> list[TopicAction]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise PulseError(f"{path}: 'actions' must be a list of entries starting with '- id:'")
    actions: list[TopicAction] = []
    seen: dict[tuple, int] = {}
    for number, entry in enumerate(entries, start=1):
        where = entry_place(path, lines, number)
        keys = raw_keys[number - 1] if number - 1 < len(raw_keys) else None
        if isinstance(entry, dict) and keys is not None and len(keys) == len(entry):
            entry = dict(zip(keys, entry.values(), strict=True))
        if not isinstance(entry, dict) or "id" not in entry:
            raise PulseError(
                f"{where}: each action needs an 'id:' (the topic's number from `pulse topics list`)"
            )
        unknown = set(entry) - _ACTION_KEYS
        if unknown:
            raise PulseError(
                f"{where}: unknown key(s) {sorted(unknown, key=str)}; use {sorted(_ACTION_KEYS)}"
            )
        try:
            topic_id = topic_number(entry["id"])
        except (TypeError, ValueError):
            raise PulseError(
                f"{where}: 'id' must be a topic number; see `pulse topics list` for the numbers"
            ) from None
        text = text_field(where, "action", entry.get("action"), ACTION_MAX_CHARS)
        if not text:
            raise PulseError(
                f"{where}: each action needs 'action:', what was done, e.g. "
                'action: "Undo for bulk invites shipped"'
            )
        line = lines[number - 1] if number - 1 < len(lines) else 0
        action = TopicAction(
            topic_id=topic_id,
            action=text,
            on=action_date(where, entry.get("on")),
            owner=text_field(where, "owner", entry.get("owner"), LABEL_MAX_CHARS),
            line=line,
        )
        key = (action.topic_id, action.on, action.action.casefold())
        if key in seen:
            raise PulseError(
                f"{where}: the same action on topic {topic_id} on {action.on} is already "
                f"recorded at line {seen[key]}; delete one of the two entries"
            )
        seen[key] = line
        actions.append(action)
    return actions


def _check_names(taxonomy: Taxonomy) -> None:
    """Two topics under one name would be two rows a reader cannot tell apart."""
    names: dict[str, str] = {}
    for edit in taxonomy.edits:
        if not edit.label:
            continue
        key = edit.label.casefold()
        if key in names:
            raise PulseError(
                f"{taxonomy.path}, line {edit.line}: label {edit.label!r} is already used by "
                f"{names[key]}; merge the two topics (merge_into) instead of giving them one name"
            )
        names[key] = f"topic {edit.topic_id} (line {edit.line})"
    for seed in taxonomy.seeds:
        key = seed.name.casefold()
        if key in names:
            raise PulseError(
                f"{taxonomy.path}, line {seed.line}: seed name {seed.name!r} is already used by "
                f"{names[key]}; give the seed another name or drop one of the two entries"
            )
        names[key] = f"seed (line {seed.line})"


def _check_merges(taxonomy: Taxonomy) -> None:
    target = {e.topic_id: e.merge_into for e in taxonomy.edits if e.merge_into is not None}
    line_of = {e.topic_id: e.line for e in taxonomy.edits}
    for start in sorted(target):
        seen, current = [start], target[start]
        while current is not None:
            if current in seen:
                chain = " -> ".join(str(t) for t in [*seen, current])
                raise PulseError(
                    f"{taxonomy.path}, line {line_of[start]}: merge cycle {chain}; "
                    "remove one of these merge_into lines"
                )
            seen.append(current)
            current = target.get(current)
