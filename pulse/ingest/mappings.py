"""Source mappings: which column of an export holds which `feedback` field.

Ready-made mappings live in `pulse/sources.toml`; a user's own TOML file of the
same shape adds mappings or replaces one of the same name. Every key is checked
when the file is read (`pulse.ingest.mapping_rules`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pulse.errors import PulseError
from pulse.ingest.mapping_rules import REQUIRED_FIELDS, check_mapping

BUILTIN_MAPPINGS_FILE = Path(__file__).resolve().parents[1] / "sources.toml"


@dataclass(frozen=True)
class Mapping:
    """One source: its kind, its format and where each feedback field comes from.

    Attributes:
        name: The source name; it prefixes every feedback_id (`name:external id`).
        kind: `ticket` or `social`; tickets get e-mail furniture stripped.
        columns: Feedback field -> list of source columns (or dotted JSON paths);
            more than one column is allowed for `text` (joined by `text_separator`)
            and `id` (a composite key).
        time_formats: created_at / updated_at -> strptime patterns tried in order.
        time_units: created_at / updated_at -> "s" or "ms" for epoch numbers.
        timezone: The zone of times without an offset; None: the settings' zone.
        feedback_type: "complaint" when every text of the source is a complaint.
        row_key: The file has no id column (`id = "@row"`): a row's id is its content's
            digest and which copy of that content it is in its file.
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
    time_formats: dict[str, tuple[str, ...]] = field(default_factory=dict)
    time_units: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None
    feedback_type: str = "mixed"
    row_key: bool = False
    origin: str = ""

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


def read_mappings_file(path: Path) -> dict[str, Mapping]:
    """Read and check every mapping in one TOML file."""
    path = Path(path)
    if not path.exists():
        raise PulseError(f"mappings file {path} does not exist; check the path")
    if not path.is_file():
        raise PulseError(f"mappings file {path} is not a file; name a .toml file")
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise PulseError(f"{path}: not UTF-8 text; save the mappings file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise PulseError(f"{path}: not valid TOML ({exc}); fix the file") from None
    # Mappings may sit at the top level or under [sources.NAME], so they can live in
    # pulse.toml beside the [pulse] settings.
    if isinstance(tables.get("sources"), dict):
        tables = tables["sources"]
    else:
        tables = {name: spec for name, spec in tables.items() if name != "pulse"}
    if not tables:
        raise PulseError(
            f"{path}: holds no mapping; add a table such as [my_source] with kind, id, "
            "created_at and text (see the README, 'Loading your own exports')"
        )
    return {name: Mapping(**check_mapping(name, spec, path)) for name, spec in tables.items()}


def load_mappings(mappings_file: Path | None = None) -> dict[str, Mapping]:
    """The ready-made mappings, overlaid by a user's file when one is given."""
    mappings = read_mappings_file(BUILTIN_MAPPINGS_FILE)
    if mappings_file is not None:
        mappings.update(read_mappings_file(Path(mappings_file)))
    return mappings


def user_mapping_names(mappings_file: Path | None) -> list[str]:
    """The names a user's mappings file defines (none without a file)."""
    return sorted(read_mappings_file(Path(mappings_file))) if mappings_file else []


def get_mapping(source: str, mappings_file: Path | None = None) -> Mapping:
    """The mapping named `source`, or a PulseError listing the names there are."""
    mappings = load_mappings(mappings_file)
    if source not in mappings:
        raise PulseError(
            f"unknown mapping {source!r}; known mappings: {', '.join(sorted(mappings))} "
            "(add your own in a mappings TOML file, given with --mappings)"
        )
    return mappings[source]
