"""Settings: one file (`pulse.toml`), environment overrides, checked at start.

Defaults give the embedded setup: a DuckDB file in the project folder, the
demo data, Prefect's ephemeral API. `PULSE_<KEY>` environment variables win
over the file so cron and CI can change a setting without editing it.
"""

from __future__ import annotations

import os
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
    brand_handles: list[str] = field(default_factory=lambda: ["ProNetHelp", "ProNet"])
    min_topic_size: int = 10
    random_seed: int = 42
    weights: PriorityWeights = field(default_factory=PriorityWeights)

    def as_dict(self) -> dict:
        data = asdict(self)
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in data.items()}


_PATH_KEYS = {"db_path", "output_dir", "demo_dir"}


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read `pulse.toml` (if present) and apply `PULSE_*` overrides.

    Unknown keys are errors, not silently ignored: a misspelt setting that does
    nothing is worse than a refusal to start.
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
        if key == "weights":
            weight_keys = {f.name for f in fields(PriorityWeights)}
            bad = set(value) - weight_keys
            if bad:
                raise PulseError(
                    f"{path}: unknown weight(s) {sorted(bad)}; known: {sorted(weight_keys)}"
                )
            settings.weights = PriorityWeights(**{k: float(v) for k, v in value.items()})
        else:
            setattr(settings, key, value)
    for key in known - {"weights"}:
        env_value = env.get(f"PULSE_{key.upper()}")
        if env_value is not None:
            current = getattr(settings, key)
            if isinstance(current, list):
                env_value = [part.strip() for part in env_value.split(",") if part.strip()]
            elif isinstance(current, float):
                try:
                    env_value = float(env_value)
                except ValueError:
                    raise PulseError(f"PULSE_{key.upper()} must be a number") from None
            elif isinstance(current, int):
                try:
                    env_value = int(env_value)
                except ValueError:
                    raise PulseError(f"PULSE_{key.upper()} must be a whole number") from None
            setattr(settings, key, env_value)
    for key in _PATH_KEYS:
        setattr(settings, key, Path(getattr(settings, key)))
    _validate(settings, path)
    return settings


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
