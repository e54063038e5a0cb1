"""The demo's corpus as data: its themes (`themes.yaml`) and shared blocks (`blocks.yaml`).

The texts live in data files beside this module so a writer can add a complaint or a
greeting without reading Python; this module only gives them their types. The story the
demo plants (which theme surges, which fades) is named here too, since the generator, the
volumes and the truth file all refer to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_HERE = Path(__file__).resolve().parent
#: libyaml's loader when installed; the files ship with Pulse, so the safe loader suffices.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The demo brand's own handles: its settings, not the product's defaults.
BRAND_HANDLES: tuple[str, ...] = ("ProNetHelp", "ProNet")
#: The mappings the demo generator's files load through (pulse/sources.toml).
DEMO_SOURCES = ("demo_tickets", "demo_social")
#: The theme that jumps to about four times its baseline (and reads angrier) in the anchor
#: week, and the one that falls to at most 30% of its earlier level.
SURGING_THEME = "invite_all_contacts"
FADING_THEME = "mobile_app_crash"

#: Shared blocks by name (blocks.yaml): lists of phrases or values, and a few of one phrase.
Blocks = dict[str, Any]


@dataclass(frozen=True)
class Severity:
    """Outcome distributions shared by themes of similar seriousness."""

    csat_weights: tuple[int, int, int, int, int]  # P(csat = 1..5), relative
    first_response_median: float  # minutes, for email/web/mobile; chat is much faster
    resolution_median: float  # minutes
    escalation_rate: float
    solved_rate: float  # for tickets older than two weeks


@dataclass(frozen=True)
class Theme:
    """One kind of thing members write about, with the blocks its texts are built from."""

    key: str
    name: str
    is_complaint: bool
    keywords: list[str]
    weekly_mean: float  # texts per week at scale 1.0 (tickets + social)
    severity: str
    social_share: float
    tags: list[str]
    subjects: list[str]
    cores: list[str]
    channels: dict[str, float]
    tiers: dict[str, float]
    platforms: dict[str, float]
    details: list[str] = field(default_factory=list)
    openers: list[str] = field(default_factory=list)
    closers: list[str] = field(default_factory=list)
    social: list[str] = field(default_factory=list)
    sarcasm: list[str] = field(default_factory=list)
    caps: list[str] = field(default_factory=list)


def read_data(name: str) -> Any:
    """One of the demo's YAML data files (`themes.yaml`, `blocks.yaml`, `fake_pii.yaml`)."""
    return yaml.load((_HERE / name).read_text(encoding="utf-8"), Loader=_LOADER)


def _themes(data: dict) -> tuple[dict[str, Severity], list[Theme]]:
    severities = {
        key: Severity(**{**profile, "csat_weights": tuple(profile["csat_weights"])})
        for key, profile in data["severities"].items()
    }
    defaults = data["theme_defaults"]
    themes = [Theme(**{**defaults, **entry}) for entry in data["themes"]]
    return severities, themes


SEVERITIES, THEMES = _themes(read_data("themes.yaml"))
THEMES_BY_KEY = {theme.key: theme for theme in THEMES}
#: The shared building blocks by name: `BLOCKS["greetings"]`, `BLOCKS["companies"]` ...
BLOCKS: Blocks = read_data("blocks.yaml")
