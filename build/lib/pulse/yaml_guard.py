"""Reading a YAML file a person edits by hand, without trusting it.

The taxonomy file is written by CX operations, by a script, or by whoever can
reach the folder. PyYAML's safe loader refuses code, but not size: a "billion
laughs" file (anchors whose aliases nest nine deep) is a few hundred bytes on
disk and billions of strings once anything walks it. So the limits here are
checked on the raw bytes and on the parser's event stream, before a single node
is built: a size cap, a nesting cap, and no anchors or aliases at all (a list of
topic edits has no use for them). Every refusal is one line naming the file,
the line and the fix, because the reader is not a developer.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import yaml

from pulse.errors import PulseError

#: libyaml's parser when installed (about 30x faster on a big file), else PyYAML's own.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_FIX = (
    "check the indentation there (entries start with '- ' under their section, keys of "
    "one entry line up) and put text containing ':' or '#' in quotes"
)
# Unicode categories dropped from text a report shows: controls (Cc), format characters
# (Cf: the bidi overrides and isolates U+202A-E, U+2066-9, the marks U+200E/F, zero-width
# ones) and lone surrogates (Cs), which a YAML "\ud800" escape can produce and no PDF prints.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}


def read_text(path: Path, max_bytes: int, what: str) -> str:
    """The file's text, refused when it is too big to be hand-written or is not UTF-8.

    Reads at most `max_bytes + 1` bytes, so a path pointed at a device or a huge
    file costs nothing. A UTF-8 byte-order mark (Windows Notepad) is accepted.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise PulseError(
            f"{path}: cannot read the {what} ({exc.strerror or exc}); check that the path "
            "names a readable file"
        ) from None
    if len(data) > max_bytes:
        raise PulseError(
            f"{path}: the {what} is larger than {_size(max_bytes)}, far more than hand-written "
            "edits need; remove what does not belong in it (is it the right file?)"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PulseError(f"{path}: the {what} is saved as UTF-16; save it as UTF-8 instead")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PulseError(
            f"{path}, line {line}: the {what} must be UTF-8 text, but byte "
            f"0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8 "
            "(in most editors: Save As, Encoding UTF-8)"
        ) from None


def _size(count: int) -> str:
    return f"{count / 1_000_000:g} MB" if count >= 1_000_000 else f"{count:,} bytes"


def check_events(path: Path, text: str, max_depth: int) -> None:
    """Refuse anchors, aliases and deep nesting from the event stream, before composing.

    Events come one at a time and hold no expanded values, so a hostile file is
    refused at its first anchor whatever it would expand to.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_LOADER):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent):
                raise PulseError(
                    f"{path}, line {line}: YAML aliases (*{event.anchor}) are not allowed in "
                    "this file; write the value out in full"
                )
            if getattr(event, "anchor", None) is not None:
                raise PulseError(
                    f"{path}, line {line}: YAML anchors (&{event.anchor}) are not allowed in "
                    "this file; remove it and write each value out in full"
                )
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > max_depth:
                    raise PulseError(_too_deep(path, line, max_depth))
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is not None and "nesting depth" in str(getattr(exc, "problem", "")):
            # libyaml reads ahead and stops at its own limit (1000) before we see the 7th level
            raise PulseError(_too_deep(path, mark.line + 1, max_depth)) from None
        raise PulseError(yaml_error_line(path, text, exc)) from None


def _too_deep(path: Path, line: int, max_depth: int) -> str:
    return (
        f"{path}, line {line}: nested more than {max_depth} levels deep; an entry is a few "
        "'key: value' lines, so un-nest the lists here"
    )


def load_checked(path: Path, text: str, max_depth: int) -> tuple[yaml.Node | None, Any]:
    """The checked file's node tree (for line numbers) and its plain Python value.

    Also refuses a key given twice in one mapping: PyYAML would keep the last
    silently, and the round-trip editor refuses such a file, so both readers agree.
    """
    check_events(path, text, max_depth)
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, None
        _refuse_duplicate_keys(path, root)
        return root, loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise PulseError(yaml_error_line(path, text, exc)) from None
    finally:
        loader.dispose()


def _refuse_duplicate_keys(path: Path, root: yaml.Node) -> None:
    pending = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        raise PulseError(
                            f"{path}, line {line}: {key.value!r} is given twice in one entry "
                            f"(first at line {seen[key.value]}); keep one of them"
                        )
                    seen[key.value] = line
                pending.append(value)
        elif isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)


def yaml_error_line(path: Path, text: str, exc: yaml.YAMLError) -> str:
    """A parser error as one line: file, line, column, the problem, the fix."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is not None:
        where = f"{path}, line {mark.line + 1}, column {mark.column + 1}"
    elif getattr(exc, "position", None) is not None:  # a ReaderError: a character YAML refuses
        where = f"{path}, line {text[: exc.position].count(chr(10)) + 1}"
        problem = f"character U+{ord(exc.character):04X} is not allowed in YAML"
    else:
        where = str(path)
    problem = " ".join(str(problem).split())
    return f"{where}: not valid YAML ({problem}); {_YAML_FIX}"


def plain_text(value: str) -> str:
    """`value` as a report may print it: no control, format or bidi characters, spaces collapsed.

    A U+202E (right-to-left override) in a label reverses the rest of the line in the
    PDF ("Verification edoc"); invisible characters make two labels that look the
    same differ. Line breaks and tabs become spaces; ordinary spaces stay.
    """
    kept = (
        " " if char.isspace() else char
        for char in value
        if char.isspace() or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    return " ".join("".join(kept).split())
