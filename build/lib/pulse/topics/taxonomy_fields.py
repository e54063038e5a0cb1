"""One value of a taxonomy entry, checked: texts, topic numbers, flags, dates (pure).

The messages name the file, the entry's line and the fix, because the person reading
them edits the file by hand and is not a developer (pulse.topics.taxonomy reads the
entries; these are the checks every kind of entry shares).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pulse.errors import PulseError
from pulse.yaml_guard import plain_text


def entry_place(path: Path, lines: list[int], number: int) -> str:
    """Where entry `number` (1-based) of a section is: its line, or its number without one."""
    line = lines[number - 1] if number - 1 < len(lines) else None
    return f"{path}, line {line}" if line else f"{path}, entry {number}"


def action_date(where: str, value: object) -> date:
    """The day an action took effect; YAML reads 2026-11-02 as a date, quoted as text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None:
        raise PulseError(f"{where}: each action needs 'on:', the day it took effect (2026-11-02)")
    raise PulseError(
        f"{where}: 'on' must be a date written year-month-day, like 2026-11-02, "
        f"not {str(value)[:40]!r}"
    )


def topic_number(value: object) -> int:
    """A topic id as CX ops write it (`17`, `"#17"`); ValueError for anything else."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(value)
    return int(str(value).strip().lstrip("#"))


def flag(value: object) -> bool:
    """A yes/no field (`true`, `yes`, `1`, ...); ValueError for anything else."""
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in {"yes", "true", "1"}:
        return True
    if str(value).strip().lower() in {"no", "false", "0", ""}:
        return False
    raise ValueError(value)


def text_field(where: str, key: str, value: object, limit: int) -> str | None:
    """A text field as reports print it, None when empty.

    Control and bidi characters are dropped, not refused: invisible in an editor, CX ops
    could not find them. An over-long value is refused: cutting it would change it.
    """
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise PulseError(
            f"{where}: '{key}' must be text on one line, not a list or a mapping; "
            "put quotes around it if it contains ':' or '#'"
        )
    text = plain_text(str(value))
    if len(text) > limit:
        raise PulseError(
            f"{where}: '{key}' is {len(text):,} characters long, over the {limit:,} allowed; "
            "shorten it (the limits are in the file's header comment)"
        )
    return text or None
