"""The demo's corpus as data: its themes (`themes.yaml`) and shared blocks (`blocks.yaml`),
and the same in French, German, Spanish and Portuguese (`languages/<code>.yaml`).

The texts live in data files beside this module so a writer can add a complaint or a
greeting without reading Python; this module only gives them their types. The story the
demo plants (which theme surges, which fades, which is written mostly in other languages)
is named here too, since the generator, the volumes and the truth file all refer to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
#: The complaint written mostly in other languages than English (French, German, Spanish,
#: Portuguese): one problem, so one issue whatever language its texts are in. Not the
#: surging theme: its flag at the tests' scale rests on a dozen texts (see generate_demo).
MULTILINGUAL_THEME = "no_human_support"

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
    # The share of the theme's texts written in each other language ({"fr": 0.04, ...});
    # the rest are English.
    languages: dict[str, float] = field(default_factory=dict)


#: A theme's fields that are text, the ones a language writes in its own words.
TEXT_FIELDS = ("subjects", "cores", "details", "openers", "closers", "social", "sarcasm", "caps")


@dataclass(frozen=True)
class Language:
    """The demo's texts in one language other than English (`languages/<code>.yaml`)."""

    code: str  # ISO 639-1, as feedback.language stores it
    name: str
    blocks: Blocks  # the shared blocks with this language's own phrases over them
    themes: dict[str, Theme]  # the themes written in this language, by key


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


def _languages(themes: list[Theme], blocks: Blocks) -> dict[str, Language]:
    """Each language's file, its themes made from the English ones with its own words.

    Raises:
        ValueError: A theme names a language with no file, or no words for the theme.
    """
    languages: dict[str, Language] = {}
    for path in sorted((_HERE / "languages").glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        by_key = {theme.key: theme for theme in themes}
        own = {
            key: replace(by_key[key], **{name: entry.get(name, []) for name in TEXT_FIELDS})
            for key, entry in data["themes"].items()
        }
        languages[path.stem] = Language(
            code=path.stem, name=data["name"], blocks={**blocks, **data["blocks"]}, themes=own
        )
    for theme in themes:
        for code in theme.languages:
            own_theme = languages[code].themes.get(theme.key) if code in languages else None
            if own_theme is None or not (
                own_theme.subjects and own_theme.cores and own_theme.social
            ):
                raise ValueError(
                    f"theme {theme.key} is written in {code!r} (themes.yaml) but "
                    f"languages/{code}.yaml has no subjects, cores and social for it"
                )
    return languages


SEVERITIES, THEMES = _themes(read_data("themes.yaml"))
THEMES_BY_KEY = {theme.key: theme for theme in THEMES}
#: The shared building blocks by name: `BLOCKS["greetings"]`, `BLOCKS["companies"]` ...
BLOCKS: Blocks = read_data("blocks.yaml")
#: The languages other than English the demo writes in, by ISO 639-1 code.
LANGUAGES = _languages(THEMES, BLOCKS)
