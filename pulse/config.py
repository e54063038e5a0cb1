"""Settings: one file (`pulse.toml`), environment overrides, checked at start.

Defaults give the embedded setup: a DuckDB file in the project folder, the
demo data, Prefect's ephemeral API. `PULSE_<KEY>` environment variables win
over the file so cron and CI can change a setting without editing it; keys of
a section use the section as a prefix (`PULSE_SMTP_HOST`, `PULSE_WEIGHTS_REACH`).
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pulse.errors import PulseError

REPO_ROOT = Path(__file__).resolve().parents[1]
QUERIES_DIR = REPO_ROOT / "queries"
TEMPLATES_DIR = REPO_ROOT / "report_templates"
TOPICS_DIR = REPO_ROOT / "topics"


@dataclass
class PriorityWeights:
    """How much each part of an issue counts toward its priority (they need not sum to 1)."""

    volume: float = 0.30
    negativity: float = 0.25
    growth: float = 0.25
    severity: float = 0.15
    reach: float = 0.05


@dataclass
class SmtpSettings:
    """Where the finished PDF is e-mailed; delivery is off until `enabled = true`.

    The password never lives in the file: it comes from the environment variable
    named by `password_env`, or else from the Prefect Secret block named by
    `password_block`; with neither, Pulse logs in without a password (or not at all
    when `username` is empty).
    """

    enabled: bool = False
    host: str = ""
    port: int = 587
    sender: str = ""
    recipients: list[str] = field(default_factory=list)
    starttls: bool = True
    username: str = ""
    password_env: str = "PULSE_SMTP_PASSWORD"
    password_block: str = ""
    timeout_seconds: float = 30.0
    subject: str = "Pulse — voice of customer, week {week}"
    # where readers open the PDF, e.g. "https://intranet.example.com/pulse/{week}/report.pdf";
    # empty: the e-mail names the attachment and the file's path only
    report_url: str = ""


@dataclass(frozen=True)
class SourceSpec:
    """Where a run's texts come from: a path and the mapping that reads it.

    Declared in pulse.toml as `[[pulse.sources]]` tables, so the scheduled Monday run loads
    the week's new exports with no arguments; `pulse run --source` builds the same thing.

    Attributes:
        path: A file, a folder or a glob pattern (relative to the working folder).
        mapping: The mapping's name; empty: the mapping whose columns each file has.
        mappings: A TOML file of your own mappings (same shape as pulse/sources.toml).
    """

    path: str
    mapping: str = ""
    mappings: str = ""


_SECTIONS = {"weights": PriorityWeights, "smtp": SmtpSettings}


@dataclass
class Settings:
    db_path: Path = field(default_factory=lambda: Path("pulse.duckdb"))
    output_dir: Path = field(default_factory=lambda: Path("outputs"))
    demo_dir: Path = field(default_factory=lambda: Path("data/demo"))
    demo_scale: float = 1.0
    # Last week of the demo data; empty means the last complete week. Independent of
    # the week a run reports on, so a backfill reads one demo history, not one per week.
    demo_anchor: str = ""
    timezone: str = "Europe/London"
    history_weeks: int = 12
    page_size: str = "A4"
    top_issues: int = 15
    # The issues the report gives a page each and whose persistence it tracks ("in the
    # top 5 for 9 weeks, no owner").
    detail_issues: int = 5
    # The brand's own @handles, which redaction leaves visible in quotes (e.g. ["AcmeHelp"]).
    # None by default: the demo names its own, and topic names never need them (a brand
    # that opens most texts is found from the data, pulse.topics.vocabulary).
    brand_handles: list[str] = field(default_factory=list)
    min_topic_size: int = 10
    # A text longer than this rejects its row at ingest (its reason says so); a pasted log
    # or a mailbox dump is not a customer's complaint, and would slow every later stage.
    max_text_chars: int = 100_000
    # A file with more of its rows rejected than this share ends `pulse ingest` and
    # `pulse run` with exit 1, after a summary of the reasons: a wrong date format or
    # mapping must not pass as a successful load.
    max_rejected_share: float = 0.5
    random_seed: int = 42
    # Which embedder fills the embeddings cache (pulse/embed/). "auto" (default): MiniLM
    # int8 while a window's texts are English, use-multilingual-v3 (USE, 16 languages) once
    # more than MULTILINGUAL_SHARE are in other languages (pulse/embed/choice.py). Or one of:
    # all-MiniLM-L6-v2 (torch fp32), minilm-onnx-int8-v2 (int8, ~6x fp32's speed, same topic
    # quality), minilm-onnx-int8 (the previous default, one text per call), minilm-m2v
    # (static; not usable with today's topic thresholds) or use-multilingual-v3. Cached per
    # model: a new name re-embeds every text once.
    embedding_model: str = "auto"
    # How long a run (or any command) waits for another process that holds the
    # database before it gives up and names that process.
    lock_timeout_seconds: float = 300.0
    # After each successful run, copy the database to `<name>.snapshot.duckdb`,
    # which analysts can open read-only while the next run writes.
    snapshot: bool = True
    # Where embedding and a sampled window's placement run: "local" in the flow's process;
    # "dask" as Prefect tasks on a Dask cluster (prefect-dask's DaskTaskRunner: embed/dask.py,
    # topics/dask_placement.py). README: "Scaling out with Dask".
    task_runner: str = "local"
    # Scheduler of an existing Dask cluster, e.g. "tcp://scheduler:8786"; empty starts a
    # LocalCluster of `dask_workers` single-threaded worker processes on this machine.
    dask_address: str = ""
    dask_workers: int = 2
    # At most this many texts per Dask task (one Parquet shard each).
    embed_shard_size: int = 5000
    # Folder for each run's shards and placement files; empty means `<output_dir>/.shards`.
    # With `dask_address` it must be shared storage that every worker sees at the same path.
    shard_dir: str = ""
    # Where the outputs folder is served over http, e.g. "http://reports.example/pulse/":
    # the Prefect artifact of a run links its PDF there. Empty: the artifact shows the
    # PDF's path as text. `pulse serve` sets it for its runs to its own read-only route.
    reports_url: str = ""
    # The exports a run loads when none are named on the command line ([[pulse.sources]]).
    # With none declared and none named, an empty database gets the demo data.
    sources: list[SourceSpec] = field(default_factory=list)
    weights: PriorityWeights = field(default_factory=PriorityWeights)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    def as_dict(self) -> dict:
        """The settings as plain data (paths as text), for `pulse config show` and run records."""
        data = asdict(self)
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}


_PATH_KEYS = {"db_path", "output_dir", "demo_dir"}


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read `pulse.toml` (if present) and apply `PULSE_*` overrides.

    Unknown keys and values of the wrong type are errors, not silently ignored: a
    misspelt setting that does nothing is worse than a refusal to start.
    """
    env = os.environ if env is None else env
    path = path or Path(env.get("PULSE_CONFIG", "pulse.toml"))
    values: dict = {}
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8")).get("pulse", {})
        except tomllib.TOMLDecodeError as exc:
            raise PulseError(f"{path}: not valid TOML ({exc}); fix the file or delete it") from None
    settings = Settings()
    known = {f.name for f in fields(Settings)}
    for key, value in values.items():
        if key not in known:
            raise PulseError(
                f"{path}: unknown setting [pulse].{key}; known settings: {', '.join(sorted(known))}"
            )
        if key in _SECTIONS:
            setattr(settings, key, _section_from_file(path, key, value))
        elif key == "sources":
            settings.sources = _sources_from_file(path, value)
        else:
            label = f"{path}: [pulse].{key}"
            setattr(settings, key, _checked(label, getattr(settings, key), value))
    for key in known - set(_SECTIONS) - {"sources"}:
        env_value = env.get(f"PULSE_{key.upper()}")
        if env_value is not None:
            name = f"PULSE_{key.upper()}"
            setattr(settings, key, _from_env(name, getattr(settings, key), env_value))
    for section in _SECTIONS:
        target = getattr(settings, section)
        for item in fields(target):
            name = f"PULSE_{section.upper()}_{item.name.upper()}"
            if name in env:
                setattr(target, item.name, _from_env(name, getattr(target, item.name), env[name]))
    for key in _PATH_KEYS:
        setattr(settings, key, Path(getattr(settings, key)))
    _validate(settings, path)
    return settings


# PULSE_* variables Pulse reads that are not settings: which pulse.toml, which taxonomy file.
_OTHER_ENV = {"PULSE_CONFIG", "PULSE_TAXONOMY"}


def environment_names(settings: Settings | None = None) -> set[str]:
    """Every PULSE_* variable Pulse reads, including the one that holds the SMTP password."""
    names = set(_OTHER_ENV)
    names |= {f"PULSE_{f.name.upper()}" for f in fields(Settings)} - {
        f"PULSE_{key.upper()}" for key in (*_SECTIONS, "sources")
    }
    for section, cls in _SECTIONS.items():
        names |= {f"PULSE_{section.upper()}_{f.name.upper()}" for f in fields(cls)}
    names.add((settings or Settings()).smtp.password_env or SmtpSettings.password_env)
    return names


def unknown_environment(env: dict[str, str] | None = None) -> list[str]:
    """A warning for each PULSE_* variable that Pulse does not read, naming the closest one.

    A misspelt override (PULSE_TOP_ISUES) would otherwise be ignored without a word, and
    the report would quietly use the setting it meant to change. Only a warning: the
    variable may be meant for a newer Pulse, or for another tool.
    """
    env = os.environ if env is None else env
    try:
        known = environment_names(load_settings(env=env))
    except PulseError:
        known = environment_names()  # the command itself reports the bad setting
    warnings = []
    for name in sorted(n for n in env if n.startswith("PULSE_") and n not in known):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else "see `pulse config show` for the settings"
        warnings.append(f"{name} is not a Pulse setting and is ignored; {hint}")
    return warnings


def _sources_from_file(path: Path, value: object) -> list[SourceSpec]:
    """`[[pulse.sources]]` tables: each a path, and optionally a mapping and a mappings file."""
    shape = 'tables like [[pulse.sources]] with path = "exports/*.csv"'
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise PulseError(f"{path}: [pulse].sources must be {shape}")
    known = {f.name for f in fields(SourceSpec)}
    specs = []
    for index, table in enumerate(value, start=1):
        label = f"{path}: source {index} of [[pulse.sources]]"
        bad = set(table) - known
        if bad:
            raise PulseError(f"{label}: unknown key(s) {sorted(bad)}; known: {sorted(known)}")
        if not isinstance(table.get("path"), str) or not table["path"].strip():
            raise PulseError(
                f'{label}: path must name a file, folder or glob, e.g. "exports/*.csv"'
            )
        for key in ("mapping", "mappings"):
            if not isinstance(table.get(key, ""), str):
                raise PulseError(f"{label}: {key} must be a string, not {table[key]!r}")
        specs.append(SourceSpec(**table))
    return specs


def _section_from_file(path: Path, section: str, value: object):
    cls = _SECTIONS[section]
    if not isinstance(value, dict):
        raise PulseError(f"{path}: [pulse.{section}] must be a table of settings")
    known = {f.name for f in fields(cls)}
    bad = set(value) - known
    if bad:
        raise PulseError(
            f"{path}: unknown setting(s) {sorted(bad)} in [pulse.{section}]; known: {sorted(known)}"
        )
    target = cls()
    for key, item in value.items():
        label = f"{path}: [pulse.{section}].{key}"
        setattr(target, key, _checked(label, getattr(target, key), item))
    return target


def _checked(label: str, default: object, value: object) -> object:
    """`value` if it has the type of the setting's default (an int is fine for a float)."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
        kind = "true or false"
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        kind = "a whole number"
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        kind = "a number"
        value = float(value) if ok else value
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        kind = "a list of strings"
    else:
        ok = isinstance(value, str)
        kind = "a string"
    if not ok:
        raise PulseError(f"{label} must be {kind}, not {value!r}")
    return value


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _from_env(name: str, current: object, raw: str) -> object:
    if isinstance(current, bool):
        if raw.strip().lower() in _TRUE:
            return True
        if raw.strip().lower() in _FALSE:
            return False
        raise PulseError(f"{name} must be true or false, not {raw!r}")
    if isinstance(current, list):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(current, float):
        try:
            return float(raw)
        except ValueError:
            raise PulseError(f"{name} must be a number, not {raw!r}") from None
    if isinstance(current, int):
        try:
            return int(raw)
        except ValueError:
            raise PulseError(f"{name} must be a whole number, not {raw!r}") from None
    return raw


def _validate(settings: Settings, path: Path) -> None:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PulseError(
            f"{path}: timezone {settings.timezone!r} is unknown; "
            "use an IANA name like Europe/London"
        ) from None
    if settings.page_size not in {"A4", "Letter"}:
        raise PulseError(f"{path}: page_size must be A4 or Letter, not {settings.page_size!r}")
    if not 2 <= settings.history_weeks <= 104:
        raise PulseError(f"{path}: history_weeks must be between 2 and 104")
    if settings.lock_timeout_seconds < 0:
        raise PulseError(f"{path}: lock_timeout_seconds must be 0 or more (seconds to wait)")
    if settings.max_text_chars < 1:
        raise PulseError(f"{path}: max_text_chars must be 1 or more (characters)")
    if not 0 <= settings.max_rejected_share <= 1:
        raise PulseError(f"{path}: max_rejected_share must be between 0 and 1, e.g. 0.5")
    if not 0 < settings.demo_scale <= 10:
        raise PulseError(f"{path}: demo_scale must be above 0 and at most 10")
    _validate_dask(settings, path)
    smtp = settings.smtp
    if smtp.enabled:
        missing = [name for name in ("host", "sender") if not getattr(smtp, name)]
        if not smtp.recipients:
            missing.append("recipients")
        if missing:
            raise PulseError(
                f"{path}: [pulse.smtp] is enabled but {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set; set them or `enabled = false`"
            )
    if not 0 < smtp.port < 65536:
        raise PulseError(f"{path}: [pulse.smtp].port must be between 1 and 65535")
    if smtp.report_url and not smtp.report_url.startswith(("https://", "http://")):
        raise PulseError(
            f"{path}: [pulse.smtp].report_url must start with https:// or http://, "
            f"not {smtp.report_url[:40]!r}"
        )
    for address in [smtp.sender, *smtp.recipients] if smtp.enabled else []:
        if "@" not in address or any(c.isspace() for c in address):
            raise PulseError(
                f"{path}: {address!r} in [pulse.smtp] is not an e-mail address like ops@example.com"
            )


# protocol://host:port, the protocol and port optional; an IPv6 host in brackets.
_SCHEDULER_ADDRESS = re.compile(r"([a-z][a-z0-9+]*://)?([^\s/:\[\]]+|\[[0-9a-fA-F:.]+\])(:\d+)?/?")


def _validate_dask(settings: Settings, path: Path) -> None:
    """The scale-out keys; checked even when task_runner is local, so a typo shows at once."""
    if settings.task_runner not in {"local", "dask"}:
        raise PulseError(
            f'{path}: task_runner must be "local" or "dask", not {settings.task_runner!r}'
        )
    if settings.dask_workers < 1:
        raise PulseError(f"{path}: dask_workers must be 1 or more (worker processes to start)")
    if settings.embed_shard_size < 1:
        raise PulseError(f"{path}: embed_shard_size must be 1 or more (texts per Dask task)")
    address = settings.dask_address
    if address and not _SCHEDULER_ADDRESS.fullmatch(address):
        raise PulseError(
            f"{path}: dask_address {address!r} is not a scheduler address like "
            "tcp://scheduler:8786; leave it empty to start a local cluster"
        )
    if settings.task_runner == "dask" and address and not settings.shard_dir:
        raise PulseError(
            f"{path}: dask_address is set but shard_dir is empty; set shard_dir to a folder "
            "on shared storage that the workers see at the same path"
        )
