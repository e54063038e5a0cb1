"""Source mappings: which column of an export holds which `feedback` field.

Ready-made mappings live in `pulse/sources.toml`; a user's own TOML file of the
same shape adds mappings or replaces one of the same name. Mappings are checked
when read, so a typo fails with the file, the mapping and the fix instead of as
a null column three stages later.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pulse.config import QUERIES_DIR
from pulse.errors import PulseError

BUILTIN_MAPPINGS_FILE = Path(__file__).resolve().parents[1] / "sources.toml"

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
FORMATS = ("auto", "csv", "jsonl", "json", "parquet")
ENCODINGS = ("utf-8", "latin-1", "utf-16")
_SETTINGS = {
    "kind",
    "format",
    "records",
    "staging",
    "needs",
    "channel_value",
    "url_prefix",
    "text_separator",
    "values",
    "options",
    "description",
}
_OPTIONS = {"delim", "quote", "escape", "encoding", "header"}


@dataclass(frozen=True)
class Mapping:
    """One source: its kind, its format and where each feedback field comes from.

    Attributes:
        name: The source name; it prefixes every feedback_id (`name:external id`).
        kind: `ticket` or `social`; tickets get e-mail furniture stripped.
        columns: Feedback field -> list of source columns (or dotted JSON paths);
            more than one column is only allowed for `text`, joined by `text_separator`.
    """

    name: str
    kind: str
    format: str = "auto"
    columns: dict[str, list[str]] = field(default_factory=dict)
    records: str | None = None
    staging: str | None = None
    needs: tuple[str, ...] = ()
    channel_value: str | None = None
    url_prefix: str | None = None
    text_separator: str = ". "
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)

    def required_columns(self) -> list[str]:
        """The raw columns a file must have for this mapping to read it."""
        if self.needs:
            return list(self.needs)
        if self.staging:
            return []
        required: list[str] = []
        for name in REQUIRED_FIELDS:
            required.extend(self.columns.get(name, []))
        return required


def _parse_mapping(name: str, spec: dict, origin: Path) -> Mapping:
    where = f"{origin}: mapping [{name}]"
    if not isinstance(spec, dict):
        raise PulseError(f"{where} must be a table of settings")
    unknown = set(spec) - _SETTINGS - set(FIELDS)
    if unknown:
        raise PulseError(
            f"{where}: unknown key(s) {sorted(unknown)}; "
            f"fields are {', '.join(FIELDS)}; settings are {', '.join(sorted(_SETTINGS))}"
        )
    kind = spec.get("kind")
    if kind not in ("ticket", "social"):
        raise PulseError(f'{where}: kind must be "ticket" or "social", not {kind!r}')
    file_format = spec.get("format", "auto")
    if file_format not in FORMATS:
        raise PulseError(f"{where}: format must be one of {', '.join(FORMATS)}")
    columns: dict[str, list[str]] = {}
    for name_ in FIELDS:
        value = spec.get(name_)
        if value is None:
            continue
        names = [value] if isinstance(value, str) else value
        if not names or not all(isinstance(v, str) and v for v in names):
            raise PulseError(f"{where}: {name_} must name a column (or, for text, a list)")
        if len(names) > 1 and name_ != "text":
            raise PulseError(f"{where}: only text may join several columns, not {name_}")
        columns[name_] = list(names)
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise PulseError(f"{where}: name the column(s) for {', '.join(missing)}")
    staging = spec.get("staging")
    if staging and not (QUERIES_DIR / f"{staging}.sql").exists():
        raise PulseError(f"{where}: staging query queries/{staging}.sql does not exist")
    options = dict(spec.get("options", {}))
    bad_options = set(options) - _OPTIONS
    if bad_options:
        raise PulseError(
            f"{where}: unknown option(s) {sorted(bad_options)}; known: {sorted(_OPTIONS)}"
        )
    encoding = str(options.get("encoding", "utf-8")).lower().replace("latin1", "latin-1")
    if encoding not in ENCODINGS:
        raise PulseError(f"{where}: encoding must be one of {', '.join(ENCODINGS)}")
    if "encoding" in options:
        options["encoding"] = encoding
    values = {
        field_: {str(k).lower(): str(v) for k, v in table.items()}
        for field_, table in spec.get("values", {}).items()
    }
    bad_values = set(values) - set(FIELDS)
    if bad_values:
        raise PulseError(f"{where}: values for unknown field(s) {sorted(bad_values)}")
    return Mapping(
        name=name,
        kind=kind,
        format=file_format,
        columns=columns,
        records=spec.get("records"),
        staging=staging,
        needs=tuple(spec.get("needs", ())),
        channel_value=spec.get("channel_value"),
        url_prefix=spec.get("url_prefix"),
        text_separator=spec.get("text_separator", ". "),
        values=values,
        options=options,
    )


def read_mappings_file(path: Path) -> dict[str, Mapping]:
    """Read and check every mapping in one TOML file."""
    path = Path(path)
    if not path.exists():
        raise PulseError(f"mappings file {path} does not exist; check the path")
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PulseError(f"{path}: not valid TOML ({exc}); fix the file") from None
    # Mappings may sit at the top level or under [sources.NAME], so they can live in
    # pulse.toml beside the [pulse] settings.
    if isinstance(tables.get("sources"), dict):
        tables = tables["sources"]
    else:
        tables = {name: spec for name, spec in tables.items() if name != "pulse"}
    return {name: _parse_mapping(name, spec, path) for name, spec in tables.items()}


def load_mappings(mappings_file: Path | None = None) -> dict[str, Mapping]:
    """The ready-made mappings, overlaid by a user's file when one is given."""
    mappings = read_mappings_file(BUILTIN_MAPPINGS_FILE)
    if mappings_file is not None:
        mappings.update(read_mappings_file(Path(mappings_file)))
    return mappings


def get_mapping(source: str, mappings_file: Path | None = None) -> Mapping:
    """The mapping named `source`, or a PulseError listing the names there are."""
    mappings = load_mappings(mappings_file)
    if source not in mappings:
        raise PulseError(
            f"unknown source {source!r}; known sources: {', '.join(sorted(mappings))} "
            "(add your own in a mappings TOML file)"
        )
    return mappings[source]
