"""Every saved taxonomy file, kept as it was, so any edit can be undone exactly.

CX ops edit `topics/taxonomy.yaml` from the command line and from the editor's web
page; both save through `pulse.topics.edits`, which records each saved file here:
`<folder>/.taxonomy_history/NNNN.yaml` (the file's bytes) and one line per version in
`index.jsonl` (when, what, which topics, and which version it was made from). The
folder's name has no hyphen: the file's own temporary files are `.taxonomy-*`.

Undo is a new version whose bytes are those of the version before the last change, so
the history only grows and an undo can itself be seen (and undone by a new edit). Each
version names the one its change was made from (`previous`); undoing a version goes back
to that one, and undoing again goes further back, like an editor's undo. A change made
by hand between two saves is recorded as a version of its own before the next save or
undo, so undo never silently drops someone's work.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pulse.errors import PulseError

INDEX_FILE = "index.jsonl"
LOCK_FILE = ".lock"
ABSENT = "(no file)"


@dataclass(frozen=True)
class Version:
    """One saved state of the taxonomy file."""

    number: int
    at: str  # UTC, ISO 8601 to the second
    what: str
    previous: int | None  # the version this one's change was made from; undo goes back to it
    topics: list[int] = field(default_factory=list)
    restores: int | None = None  # an undo: the version whose bytes it put back
    exists: bool = True  # False: the state is "no taxonomy file at all"
    sha256: str = ""

    @property
    def file_name(self) -> str:
        return f"{self.number:04d}.yaml"


def history_dir(path: Path) -> Path:
    """Where the versions of the taxonomy file `path` are kept: a folder beside it."""
    return path.parent / f".{path.stem}_history"


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the history's lock for one read-change-write of the file.

    The editor serves requests on threads and the CLI may run beside it; without the
    lock, two edits read the same file and the second write loses the first.
    """
    folder = history_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def versions(path: Path) -> list[Version]:
    """Every recorded version of the file, oldest first (empty before the first save)."""
    index = history_dir(path) / INDEX_FILE
    if not index.exists():
        return []
    found = []
    for number, line in enumerate(index.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Version(**json.loads(line)))
        except (TypeError, ValueError):
            raise PulseError(
                f"{index}, line {number}: not a version record; the history was edited by "
                "hand: restore the line or move the folder aside to start a new history"
            ) from None
    return found


def version_bytes(path: Path, version: Version) -> bytes | None:
    """The file exactly as it was at `version` (None: there was no file)."""
    if not version.exists:
        return None
    return (history_dir(path) / version.file_name).read_bytes()


def _current(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def _digest(content: bytes | None) -> str:
    return hashlib.sha256(content).hexdigest() if content is not None else ABSENT


def _append(
    path: Path,
    content: bytes | None,
    what: str,
    previous: int | None,
    topics: list[int] | None = None,
    restores: int | None = None,
) -> Version:
    folder = history_dir(path)
    known = versions(path)
    version = Version(
        number=(known[-1].number + 1) if known else 1,
        at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        what=what,
        previous=previous,
        topics=sorted({t for t in topics or [] if t is not None}),
        restores=restores,
        exists=content is not None,
        sha256=_digest(content),
    )
    if content is not None:
        (folder / version.file_name).write_bytes(content)
    with (folder / INDEX_FILE).open("a", encoding="utf-8") as index:
        index.write(json.dumps(version.__dict__, ensure_ascii=False) + "\n")
    return version


def catch_up(path: Path) -> Version:
    """The head version, first recording the file as found when it differs from the head.

    The first call records the file as it was before Pulse's first recorded edit; a later
    one records a change made by hand since the last save. Call it under `locked`.
    """
    known = versions(path)
    content = _current(path)
    if not known:
        return _append(path, content, "the file as found before the first recorded edit", None)
    head = known[-1]
    if head.sha256 != _digest(content):
        return _append(path, content, "changed by hand, outside Pulse", head.number)
    return head


def record(path: Path, what: str, topics: list[int] | None, previous: Version) -> Version:
    """Record the file as just saved by an edit made from version `previous`."""
    return _append(path, _current(path), what, previous.number, topics)


def next_undo(path: Path) -> Version | None:
    """The version whose change an undo would take back now (None: nothing to undo).

    A change made by hand since the last save is what an undo takes back first, though it
    is only recorded (by `catch_up`) when the undo happens.
    """
    known = versions(path)
    if not known:
        return None
    head = known[-1]
    if head.sha256 != _digest(_current(path)):
        return Version(head.number + 1, "", "changed by hand, outside Pulse", head.number)
    if head.previous is None:
        return None
    return next(v for v in known if v.number == head.restores) if head.restores else head


def undo(path: Path) -> tuple[Version, Version]:
    """Put back the file as it was before the last change; (the version undone, the new one).

    The bytes written are those of the version the last change was made from, so the file
    is byte-for-byte what it was, comments and spacing included.
    """
    with locked(path):
        head = catch_up(path)
        by_number = {v.number: v for v in versions(path)}
        if head.previous is None:
            raise PulseError(
                f"nothing to undo: version {head.number} of {path} is the oldest recorded "
                "(`pulse topics history` lists them)"
            )
        target = by_number[head.previous]
        undone = by_number[head.restores] if head.restores is not None else head
        content = version_bytes(path, target)
        _write_exactly(path, content)
        new = _append(
            path,
            content,
            f"undo: {undone.what} (back to version {target.number})",
            target.previous,
            undone.topics,
            restores=target.number,
        )
    return undone, new


def _write_exactly(path: Path, content: bytes | None) -> None:
    """Replace the file by `content` in one rename (delete it for None)."""
    if content is None:
        path.unlink(missing_ok=True)
        return
    handle, temporary = tempfile.mkstemp(prefix=".taxonomy-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def history_text(path: Path, topic_id: int | None = None) -> str:
    """`pulse topics history`: the versions, newest first; with a topic, what each changed."""
    if topic_id is not None:
        lines = [f"{c['version']:>4}  {c['at']}  {'; '.join(c['changes'])}"
                 for c in topic_changes(path, topic_id)]  # fmt: skip
        return "\n".join(lines) or f"no recorded change to topic {topic_id} in {path}"
    lines = [f"{v.number:>4}  {v.at}  {v.what}" for v in versions(path)[::-1]]
    return "\n".join(lines) or f"no versions of {path} yet: the first edit records one"


# --- one topic's story, read off the versions --------------------------------------------


def topic_changes(path: Path, topic_id: int, limit: int = 200) -> list[dict]:
    """What each version changed about one topic, newest first: renames, merges, actions.

    Read by comparing consecutive versions of the file, not from the edits' summaries, so a
    change made by hand or by an undo shows up the same way as one made from the editor.
    """
    from pulse.topics.taxonomy import parse_taxonomy

    changes: list[dict] = []
    before: dict[str, object] | None = None
    for version in versions(path)[-limit:]:
        content = version_bytes(path, version)
        try:
            taxonomy = parse_taxonomy(path, content.decode("utf-8")) if content else None
        except (PulseError, UnicodeDecodeError):
            continue  # a hand edit the run would refuse: nothing to compare
        state = _topic_state(taxonomy, topic_id)
        if before is not None:
            lines = _describe(before, state, topic_id)
            if lines:
                changes.append({"version": version.number, "at": version.at,
                                "what": version.what, "changes": lines})  # fmt: skip
        before = state
    return changes[::-1]


def _topic_state(taxonomy, topic_id: int) -> dict[str, object]:
    """The parts of a file that concern one topic, in a form two versions can be compared."""
    if taxonomy is None:
        return {"label": None, "owner": None, "notes": None, "hide": False, "merge_into": None,
                "merged_in": frozenset(), "actions": frozenset(), "split": frozenset()}  # fmt: skip
    edit = next((e for e in taxonomy.edits if e.topic_id == topic_id), None)
    marker = f"split from topic {topic_id}"
    return {
        "label": edit.label if edit else None,
        "owner": edit.owner if edit else None,
        "notes": edit.notes if edit else None,
        "hide": bool(edit and edit.hide),
        "merge_into": edit.merge_into if edit else None,
        "merged_in": frozenset(e.topic_id for e in taxonomy.edits if e.merge_into == topic_id),
        "actions": frozenset(
            (a.on.isoformat(), a.action) for a in taxonomy.actions if a.topic_id == topic_id
        ),
        "split": frozenset(s.name for s in taxonomy.seeds if (s.notes or "").startswith(marker)),
    }


def _describe(before: dict, after: dict, topic_id: int) -> list[str]:
    """Plain sentences for what changed between two states of one topic."""
    lines = []
    for key, named, cleared in (
        ("label", "renamed to {!r}", "Pulse's own name again"),
        ("owner", "owner set to {!r}", "owner removed"),
        ("notes", "notes set to {!r}", "notes removed"),
        ("merge_into", "merged into topic {}", "unmerged"),
    ):
        if before[key] != after[key]:
            lines.append(named.format(after[key]) if after[key] is not None else cleared)
    if before["hide"] != after["hide"]:
        lines.append("hidden from reports" if after["hide"] else "shown in reports again")
    lines += [f"topic {t} merged into it" for t in sorted(after["merged_in"] - before["merged_in"])]
    lines += [
        f"topic {t} unmerged from it" for t in sorted(before["merged_in"] - after["merged_in"])
    ]
    lines += [f"action recorded for {on}: {text!r}"
              for on, text in sorted(after["actions"] - before["actions"])]  # fmt: skip
    lines += [f"action removed ({on}: {text!r})"
              for on, text in sorted(before["actions"] - after["actions"])]  # fmt: skip
    lines += [f"split off as seed {name!r}" for name in sorted(after["split"] - before["split"])]
    lines += [f"seed {name!r} split from it removed"
              for name in sorted(before["split"] - after["split"])]  # fmt: skip
    return lines
