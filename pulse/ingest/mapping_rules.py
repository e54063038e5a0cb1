"""The rules a source mapping must follow, checked key by key when its file is read.

Every key is checked for its type and its value, so a typo fails at once with the
file, the mapping, the key, what was found and what is expected, instead of as a
null column three stages later or a traceback.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pulse.db import query_path
from pulse.errors import PulseError

#: Feedback fields a mapping can fill, in the order of `ingest_input`'s columns.
FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "text",
    "channel",
    "member_tier",
    "csat",
    "nps",
    "first_response_minutes",
    "resolution_minutes",
    "is_escalated",
    "reach",
    "url",
)
REQUIRED_FIELDS = ("id", "created_at", "text")
#: `id = "@row"`: the export has no id column (app-store reviews, survey answers), so a
#: row is keyed by its content (every column) and which copy of that content it is in its
#: file: loading the file again adds nothing, and two identical reviews stay two.
ROW_KEY = "@row"
#: Fields that may join several columns: text (joined by text_separator), id (a key made
#: of several columns, joined by "|"), and the timestamps (a date column and a time
#: column, joined by a space).
MULTI_COLUMN_FIELDS = ("text", "id", "created_at", "updated_at")
NUMERIC_FIELDS = ("csat", "nps", "first_response_minutes", "resolution_minutes", "reach")
FORMATS = ("auto", "csv", "jsonl", "json", "parquet")
ENCODINGS = ("utf-8", "latin-1", "utf-16")
TIME_UNITS = ("s", "ms")
#: What a source's texts are. "complaint": every text is a complaint (a complaints portal,
#: a support queue of problems), whatever its tone; "mixed": anything (the default).
FEEDBACK_TYPES = ("mixed", "complaint")

# Settings of a mapping beyond its fields, with what each must be (for the messages).
_SETTINGS: dict[str, str] = {
    "kind": '"ticket" or "social"',
    "format": " | ".join(FORMATS),
    "records": "a JSON key naming the array of records",
    "staging": "the name of a queries/staging/<name>.sql file",
    "needs": "a list of column names",
    "channel_value": "a channel name",
    "url_prefix": "a URL prefix",
    "text_separator": "a string",
    "values": "a table of value tables, e.g. [NAME.values.csat]",
    "options": "a table of CSV options, e.g. [NAME.options]",
    "description": "a string",
    "created_at_format": 'a strptime pattern or a list of them, e.g. "%d-%m-%y"',
    "updated_at_format": 'a strptime pattern or a list of them, e.g. "%d-%m-%y"',
    "created_at_unit": '"s" or "ms" (epoch seconds or milliseconds)',
    "updated_at_unit": '"s" or "ms" (epoch seconds or milliseconds)',
    "timezone": 'an IANA time zone for times without an offset, e.g. "America/New_York"',
    "feedback_type": " or ".join(f'"{t}"' for t in FEEDBACK_TYPES),
}
_OPTIONS: dict[str, str] = {
    "delim": 'one character, e.g. ";" or "\\t"',
    "quote": 'one character (or "" for none)',
    "escape": 'one character (or "" for none)',
    "encoding": " | ".join(ENCODINGS),
    "header": "true or false",
}
# strptime directives a pattern may use, and the text each matches (pulse.ingest.times
# turns a pattern into a regular expression from these, so a pattern never matches loosely).
STRPTIME_DIRECTIVES = frozenset("aAbBdeHIjmMpSyYzZfjuw%")


class _Checker:
    """Builds the one-line messages: file, mapping, key, what was found, what is expected."""

    def __init__(self, origin: Path, name: str):
        self.where = f"{origin}: mapping [{name}]"

    def fail(self, key: str, found: object, expected: str) -> PulseError:
        return PulseError(f"{self.where}: {key} = {_show(found)}; expected {expected}")

    def string(self, spec: dict, key: str, expected: str, allow_empty: bool = False):
        value = spec.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or (not value and not allow_empty):
            raise self.fail(key, value, expected)
        return value

    def strings(self, spec: dict, key: str, expected: str) -> list[str] | None:
        """A string or a non-empty list of non-empty strings."""
        value = spec.get(key)
        if value is None:
            return None
        values = [value] if isinstance(value, str) else value
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v for v in values)
        ):
            raise self.fail(key, value, expected)
        return list(values)


def _show(value: object) -> str:
    """A TOML-ish rendering of a found value, short enough for one line."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    elif isinstance(value, dict):
        text = "a table {" + ", ".join(sorted(map(str, value))) + "}"
    else:
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_mapping(name: str, spec: object, origin: Path) -> dict[str, object]:
    """The checked settings of mapping `name` from `origin`: `Mapping`'s keyword arguments.

    Raises a PulseError naming the file, the mapping, the key, what was found and what
    is expected at the first setting that is wrong.
    """
    check = _Checker(origin, name)
    if not isinstance(spec, dict):
        raise PulseError(f"{check.where} must be a table of settings, not {_show(spec)}")
    unknown = sorted(set(spec) - set(_SETTINGS) - set(FIELDS))
    if unknown:
        raise PulseError(
            f"{check.where}: unknown key(s) {', '.join(unknown)}; "
            f"fields are {', '.join(FIELDS)}; settings are {', '.join(sorted(_SETTINGS))}"
        )
    kind = spec.get("kind")
    if kind not in ("ticket", "social"):
        raise check.fail("kind", kind, _SETTINGS["kind"])
    file_format = spec.get("format", "auto")
    if file_format not in FORMATS:
        raise check.fail("format", file_format, _SETTINGS["format"])
    columns: dict[str, list[str]] = {}
    for field_name in FIELDS:
        expected = (
            "a column name or a list of them"
            if field_name in MULTI_COLUMN_FIELDS
            else "a column name (a string)"
        )
        names = check.strings(spec, field_name, expected)
        if names is None:
            continue
        if len(names) > 1 and field_name not in MULTI_COLUMN_FIELDS:
            raise check.fail(field_name, spec[field_name], expected)
        columns[field_name] = names
    row_key = ROW_KEY in columns.get("id", [])
    if row_key and columns["id"] != [ROW_KEY]:
        raise check.fail("id", spec["id"], f'"{ROW_KEY}" alone, or columns that hold the key')
    if row_key:
        del columns["id"]
    missing = [f for f in REQUIRED_FIELDS if f not in columns and not (f == "id" and row_key)]
    if missing:
        raise PulseError(f"{check.where}: name the column(s) for {', '.join(missing)}")
    records = check.string(spec, "records", _SETTINGS["records"])
    staging = check.string(spec, "staging", _SETTINGS["staging"])
    if staging and query_path(staging) is None:
        raise PulseError(
            f"{check.where}: staging query queries/staging/{staging}.sql does not exist"
        )
    needs = spec.get("needs", [])
    if not isinstance(needs, list) or not all(isinstance(n, str) and n for n in needs):
        raise check.fail("needs", needs, _SETTINGS["needs"])
    channel_value = check.string(spec, "channel_value", _SETTINGS["channel_value"])
    url_prefix = check.string(spec, "url_prefix", _SETTINGS["url_prefix"])
    text_separator = check.string(
        spec, "text_separator", _SETTINGS["text_separator"], allow_empty=True
    )
    check.string(spec, "description", _SETTINGS["description"], allow_empty=True)
    time_formats: dict[str, tuple[str, ...]] = {}
    time_units: dict[str, str] = {}
    for stamp in ("created_at", "updated_at"):
        patterns = check.strings(spec, f"{stamp}_format", _SETTINGS[f"{stamp}_format"])
        if patterns is not None:
            for pattern in patterns:
                _check_pattern(check, f"{stamp}_format", pattern)
            time_formats[stamp] = tuple(patterns)
        unit = spec.get(f"{stamp}_unit")
        if unit is not None:
            if unit not in TIME_UNITS:
                raise check.fail(f"{stamp}_unit", unit, _SETTINGS[f"{stamp}_unit"])
            if patterns is not None:
                raise PulseError(
                    f"{check.where}: give {stamp}_format or {stamp}_unit, not both "
                    "(a unit is for epoch numbers, a format for dates written out)"
                )
            time_units[stamp] = unit
    timezone = check.string(spec, "timezone", _SETTINGS["timezone"])
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise check.fail("timezone", timezone, _SETTINGS["timezone"]) from None
    feedback_type = spec.get("feedback_type", "mixed")
    if feedback_type not in FEEDBACK_TYPES:
        raise check.fail("feedback_type", feedback_type, _SETTINGS["feedback_type"])
    return dict(
        name=name,
        kind=kind,
        format=file_format,
        columns=columns,
        records=records,
        staging=staging,
        needs=tuple(needs),
        channel_value=channel_value,
        url_prefix=url_prefix,
        text_separator=". " if text_separator is None else text_separator,
        values=_parse_values(check, spec.get("values", {})),
        options=_parse_options(check, spec.get("options", {})),
        time_formats=time_formats,
        time_units=time_units,
        timezone=timezone,
        feedback_type=feedback_type,
        row_key=row_key,
        origin=str(origin),
    )


def _check_pattern(check: _Checker, key: str, pattern: str) -> None:
    """A strptime pattern names a day, uses only known directives, and ends no directive."""
    index = 0
    directives = []
    while index < len(pattern):
        if pattern[index] == "%":
            if index + 1 >= len(pattern) or pattern[index + 1] not in STRPTIME_DIRECTIVES:
                raise check.fail(
                    key, pattern, "a strptime pattern (%Y %y %m %d %b %H %M %S %z ...)"
                )
            directives.append(pattern[index + 1])
            index += 2
        else:
            index += 1
    if not {"Y", "y"} & set(directives) or not ({"d", "e", "j"} & set(directives)):
        raise check.fail(key, pattern, "a pattern with a year (%Y or %y) and a day (%d)")


def _parse_options(check: _Checker, options: object) -> dict[str, object]:
    if not isinstance(options, dict):
        raise check.fail("options", options, _SETTINGS["options"])
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise PulseError(
            f"{check.where}: unknown option(s) {', '.join(unknown)} in [options]; "
            f"known: {', '.join(sorted(_OPTIONS))}"
        )
    parsed: dict[str, object] = {}
    for key in ("delim", "quote", "escape"):
        if key in options:
            value = options[key]
            empty_ok = key != "delim"
            if not isinstance(value, str) or len(value) > 1 or (not value and not empty_ok):
                raise check.fail(f"options.{key}", value, _OPTIONS[key])
            parsed[key] = value
    if "encoding" in options:
        value = options["encoding"]
        encoding = (
            str(value).lower().replace("latin1", "latin-1").replace("utf8", "utf-8")
            if isinstance(value, str)
            else None
        )
        if encoding not in ENCODINGS:
            raise check.fail(
                "options.encoding", value, f"encoding must be one of {_OPTIONS['encoding']}"
            )
        parsed["encoding"] = encoding
    if "header" in options:
        if not isinstance(options["header"], bool):
            raise check.fail("options.header", options["header"], _OPTIONS["header"])
        parsed["header"] = options["header"]
    return parsed


def _parse_values(check: _Checker, values: object) -> dict[str, dict[str, str]]:
    """[NAME.values.FIELD] tables: raw value (matched lower-cased) -> stored value."""
    if not isinstance(values, dict):
        raise check.fail("values", values, _SETTINGS["values"])
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise PulseError(
            f"{check.where}: values for unknown field(s) {', '.join(unknown)}; "
            f"fields are {', '.join(FIELDS)}"
        )
    parsed: dict[str, dict[str, str]] = {}
    for field_name, table in values.items():
        key = f"values.{field_name}"
        if not isinstance(table, dict):
            raise check.fail(key, table, f"a table of raw value = stored value, e.g. [NAME.{key}]")
        stored: dict[str, str] = {}
        for raw, value in table.items():
            stored[str(raw).lower()] = _stored_value(check, f"{key}.{raw}", field_name, value)
        parsed[field_name] = stored
    return parsed


def _stored_value(check: _Checker, key: str, field_name: str, value: object) -> str:
    if field_name in NUMERIC_FIELDS:
        if isinstance(value, bool):
            raise check.fail(key, value, f'a number (or "" for no value): {field_name} is numeric')
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, str):
            if value == "":
                return ""
            try:
                float(value)
            except ValueError:
                raise check.fail(
                    key, value, f'a number (or "" for no value): {field_name} is numeric'
                ) from None
            return value
        raise check.fail(key, value, f'a number (or "" for no value): {field_name} is numeric')
    if field_name == "is_escalated":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.lower() in ("true", "false", ""):
            return value.lower()
        raise check.fail(key, value, 'true or false (or "" for no value)')
    if not isinstance(value, str):
        raise check.fail(key, value, "a string")
    return value
