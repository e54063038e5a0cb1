"""CX operations' edits to the taxonomy file, shared by `pulse topics …` and the web editor.

Every edit goes into the taxonomy file (`topics/taxonomy.yaml`, or `$PULSE_TAXONOMY`)
rather than the database, so it is reviewable, versioned with the project and
re-applied after every re-clustering. Edits keep the file's comments: it is
edited by a YAML round-trip (ruamel.yaml), checked as a whole, and only then
written, so a bad edit leaves the file as it was. The file is first read as the
run reads it (`pulse.topics.taxonomy.parse_taxonomy`: size, encoding, no anchors), so the
editor never loads a file the run would refuse, and text given by a person is
cleaned of control and bidi characters as the file's own text is.

The command line and the web page call these same functions, so they accept and refuse
the same edits with the same words. Each save is recorded as a version
(`pulse.topics.history`), which is what makes undo exact.
"""

from __future__ import annotations

import io
import os
import tempfile
from datetime import date
from pathlib import Path

import duckdb

from pulse.db import fetch_dicts
from pulse.errors import PulseError
from pulse.topics import history
from pulse.topics.taxonomy import EXAMPLE_MAX_CHARS, parse_taxonomy, read_taxonomy, taxonomy_text
from pulse.yaml_guard import plain_text

# the actions `edit_taxonomy` takes; each is a `pulse topics` subcommand of the same name
ACTIONS = ("rename", "merge", "hide", "seed", "unhide", "unmerge", "owner", "notes")
SPLIT_EXAMPLES = 5  # texts of a sub-theme that become a split's example phrases


def edit_taxonomy(
    path: Path,
    action: str,
    topic_id: int | None = None,
    label: str | None = None,
    into: int | None = None,
    examples: list[str] | None = None,
    owner: str | None = None,
    known_topics: set[int] | None = None,
    notes: str | None = None,
) -> str:
    """Apply one CX edit to the taxonomy file and record the new version; returns a summary.

    The edited text is checked as a whole (duplicate names, merge cycles) before it
    replaces the file, so a refused edit changes nothing.
    """
    from ruamel.yaml.comments import CommentedMap

    for topic in (topic_id, into):
        _check_known(topic, known_topics)
    with history.locked(path):
        yaml, document = _load_document(path)
        if action == "seed":
            name = plain_text(label or "")
            phrases = [phrase for phrase in map(plain_text, examples or []) if phrase]
            owner = plain_text(owner or "")
            if not name or not phrases:
                raise PulseError('a seed needs a name and at least one --example "phrase"')
            seeds = _block_list(document, "seeds")
            entry = next(
                (s for s in seeds if str(s.get("name", "")).casefold() == name.casefold()), None
            )
            if entry is None:
                entry = CommentedMap()
                entry["name"] = name
                seeds.append(entry)
            entry["examples"] = phrases
            if owner:
                entry["owner"] = owner
            summary = f"seeded topic {name!r} with {len(phrases)} example phrase(s)"
        else:
            summary = _edit_topic(path, document, action, topic_id, label, into, owner, notes)
        _save(path, yaml, document, summary, [topic_id, into])
    return summary


def _edit_topic(path, document, action, topic_id, label, into, owner, notes) -> str:
    """Change one topic's `topics:` entry (made when missing, dropped when left empty)."""
    from ruamel.yaml.comments import CommentedMap

    entries = _block_list(document, "topics")
    entry = next((e for e in entries if _same_id(e.get("id"), topic_id)), None)
    if entry is None:
        entry = CommentedMap()
        entry["id"] = topic_id
        entries.append(entry)
    if action == "rename":
        name = plain_text(label or "")
        if not name:
            raise PulseError('give the new name, e.g. pulse topics rename 7 "Fake pages"')
        entry["label"] = name
        summary = f"topic {topic_id} is now called {name!r}"
    elif action == "merge":
        entry["merge_into"] = into
        summary = f"topic {topic_id} now counts under topic {into}, history included"
    elif action == "hide":
        entry["hide"] = True
        summary = f"topic {topic_id} is hidden from reports"
    elif action in {"unhide", "unmerge"}:
        key, word = ("hide", "hidden") if action == "unhide" else ("merge_into", "merged")
        if not entry.get(key):
            raise PulseError(
                f"topic {topic_id} is not {word} in {path}, so there is nothing to {action}; "
                f"`pulse topics list` shows which topics are {word}"
            )
        was = entry.pop(key)
        summary = (
            f"topic {topic_id} shows in reports again"
            if action == "unhide"
            else f"topic {topic_id} counts on its own again, no longer under topic {was}"
        )
    elif action in {"owner", "notes"}:
        text = plain_text((owner if action == "owner" else notes) or "")
        if text:
            entry[action] = text
            verb = "is" if action == "owner" else "are"
            summary = f"topic {topic_id}'s {action} {verb} now {text!r}"
        else:
            entry.pop(action, None)
            summary = f"topic {topic_id} has no {action} now"
    else:
        raise PulseError(f"unknown edit {action!r}; the edits are {', '.join(ACTIONS)}")
    if set(entry) == {"id"}:  # nothing left to say about it: no empty `- id: 7` lines
        entries.remove(entry)
    return summary


def split_topic(
    path: Path,
    topic_id: int,
    name: str,
    examples: list[str],
    owner: str | None = None,
    known_topics: set[int] | None = None,
) -> str:
    """Make some of a topic's texts a seed of their own (its examples are those texts).

    The seed's notes say where it came from (`split from topic N`), which is how the
    topic's history finds its splits. Texts longer than a seed phrase may be are cut at
    a word, since they only have to point the seed at the right meaning.
    """
    from ruamel.yaml.comments import CommentedMap

    _check_known(topic_id, known_topics)
    name, owner = plain_text(name or ""), plain_text(owner or "")
    phrases = list(dict.fromkeys(p for p in map(_phrase, examples or []) if p))
    if not name or not phrases:
        raise PulseError(
            "a split needs a name and some texts: pick texts on the topic's page, or a "
            'sub-theme, e.g. pulse topics split 40 "Refund delays" --sub-theme 5'
        )
    with history.locked(path):
        yaml, document = _load_document(path)
        seeds = _block_list(document, "seeds")
        clash = next(
            (s for s in seeds if str(s.get("name", "")).casefold() == name.casefold()), None
        )
        if clash is not None:
            raise PulseError(
                f"edit refused, {path} is unchanged: a seed named {name!r} already exists; "
                "give the split another name"
            )
        entry = CommentedMap()
        entry["name"] = name
        entry["examples"] = phrases
        if owner:
            entry["owner"] = owner
        entry["notes"] = f"split from topic {topic_id}"
        seeds.append(entry)
        summary = f"split {len(phrases)} text(s) of topic {topic_id} into seed {name!r}"
        _save(path, yaml, document, summary, [topic_id])
    return summary


def split_examples(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    topic_id: int,
    sub_theme: int | None = None,
    feedback_ids: list[str] | None = None,
) -> list[str]:
    """The redacted texts a split starts from: picked ones, or a sub-theme's most central.

    Redacted, because the examples are written into a file that is kept with the project.
    """
    from pulse.embed import active_model_name

    if feedback_ids:
        rows = fetch_dicts(con, "editor_texts_by_id", {"feedback_ids": list(feedback_ids)})
        missing = sorted(set(feedback_ids) - {r["feedback_id"] for r in rows})
        if missing:
            raise PulseError(
                f"text(s) {', '.join(missing[:5])} are not in the database; pick texts on the "
                "topic's page (`pulse topics show ID` lists some with their ids)"
            )
        return [r["text_redacted"] for r in rows]
    children = [
        r["topic_id"]
        for r in fetch_dicts(con, "editor_sub_themes", {"run_id": run_id, "topic_id": topic_id})
    ]
    if sub_theme not in children:
        raise PulseError(
            f"topic {sub_theme} is not a sub-theme of topic {topic_id}; its sub-themes are "
            f"{', '.join(map(str, children)) or 'none'} (`pulse topics show {topic_id}`)"
        )
    params = {"run_id": run_id, "topic_id": sub_theme, "model": active_model_name(),
              "n": SPLIT_EXAMPLES}  # fmt: skip
    return [r["text_redacted"] for r in fetch_dicts(con, "editor_central_texts", params)]


def record_action(
    path: Path,
    topic_id: int,
    text: str,
    on: date,
    owner: str | None = None,
    known_topics: set[int] | None = None,
) -> str:
    """Add one `actions:` entry (what was done about a topic, from which day); a summary.

    Like every edit, the whole file is checked before it is replaced, so a refused
    action (a duplicate, text over its cap) leaves the file as it was.
    """
    from ruamel.yaml.comments import CommentedMap

    _check_known(topic_id, known_topics)
    text, owner = plain_text(text or ""), plain_text(owner or "")
    if not text:
        raise PulseError(
            'say what was done, e.g. pulse topics action 7 "Undo for bulk invites shipped" '
            "--on 2026-11-02"
        )
    with history.locked(path):
        yaml, document = _load_document(path)
        entry = CommentedMap()
        entry["id"] = topic_id
        entry["action"] = text
        entry["on"] = on
        if owner:
            entry["owner"] = owner
        _block_list(document, "actions").append(entry)
        summary = f"recorded on topic {topic_id} from {on.isoformat()}: {text!r}"
        _save(path, yaml, document, summary, [topic_id])
    return summary


def undo_last(path: Path) -> str:
    """Put the file back as it was before its last change; a summary naming that change."""
    undone, version = history.undo(path)
    return f"undid {undone.what!r}: {path} is again as at version {version.restores}"


# --- reading and writing the file --------------------------------------------------------


def _check_known(topic: int | None, known_topics: set[int] | None) -> None:
    if known_topics is not None and topic is not None and topic not in known_topics:
        raise PulseError(
            f"topic {topic} does not exist; the current topics are listed by `pulse topics list`"
        )


def _phrase(text: str | None) -> str:
    """A text as a seed phrase: cleaned, and cut at a word to the phrase limit."""
    text = plain_text(text or "")
    if len(text) <= EXAMPLE_MAX_CHARS:
        return text
    return text[: EXAMPLE_MAX_CHARS + 1].rsplit(" ", 1)[0][:EXAMPLE_MAX_CHARS]


def _round_trip():
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, order and quoting survive
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def _block_list(document, section: str):
    from ruamel.yaml.comments import CommentedSeq

    entries = document.get(section)
    if not isinstance(entries, list):
        entries = CommentedSeq()
        document[section] = entries
    entries.fa.set_block_style()  # `topics: []` in the template becomes a readable list
    return entries


def _load_document(path: Path):
    """The round-trip YAML loader and the file's document (an empty one if there is none)."""
    from ruamel.yaml.comments import CommentedMap

    yaml = _round_trip()
    text = _checked_text(path) if path.exists() else ""
    document = yaml.load(text) if text.strip() else None
    if document is None:
        document = CommentedMap()
        document["topics"] = []
    if not isinstance(document, dict):
        raise PulseError(f"{path}: the file must have a 'topics:' list; fix it by hand first")
    return yaml, document


def _save(path: Path, yaml, document, summary: str, topics: list[int | None]) -> None:
    """Write the edited document and record it as a version (nothing when it is unchanged)."""
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    if path.exists() and path.read_bytes() == text.encode("utf-8"):
        return
    head = history.catch_up(path)
    _replace_checked(path, text)
    history.record(path, summary, [t for t in topics if t is not None], head)


def _checked_text(path: Path) -> str:
    """The file's text once the run's own reader accepts it; a refusal changes nothing."""
    try:
        text = taxonomy_text(path)
        parse_taxonomy(path, text)
    except PulseError as exc:
        raise PulseError(f"edit refused, the file is unchanged: {exc}") from None
    return text


def _same_id(value, topic_id: int | None) -> bool:
    try:
        return int(str(value).strip().lstrip("#")) == topic_id
    except (TypeError, ValueError):
        return False


def _replace_checked(path: Path, text: str) -> None:
    """Write `text` over `path` only if the result is a valid taxonomy file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".taxonomy-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        try:
            read_taxonomy(Path(temporary))
        except PulseError as exc:
            message = str(exc).replace(temporary, str(path))
            raise PulseError(f"edit refused, {path} is unchanged: {message}") from None
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
