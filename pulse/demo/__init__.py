"""The demo: a fictional professional network's tickets and posts, with the answers.

Pulse has to work on a fresh machine with no customer data, and its tests need inputs
whose right answer is known. The demo writes twelve weeks of realistic-looking support
tickets (`tickets.csv`, Zendesk-style) and social posts (`social.jsonl`) for "ProNet", plus
`truth.json`: the theme each text was written from and the planted changes (one theme
surges in the anchor week, one fades, and two carry a dated action: one falls after it,
one does not change), so clustering, ranking and action verdicts can be checked against
a key. About one text in ten is in French, German, Spanish or Portuguese, most of one
complaint's (`MULTILINGUAL_THEME`), so that one issue can be checked to hold it in every
language; truth.json gives each text's language.

- `themes.yaml`, `blocks.yaml`, `languages/*.yaml`: the corpus as data (`corpus` gives it
  types);
- `compose`: one text from a theme's blocks; `volumes`: texts per week and their times;
  `fields`: a ticket's outcomes and a post's id, link and reach;
- `generate`: the files (`generate_demo`, `ensure_demo`); `actions`: the planted actions;
- `fake_pii`: fake personal data, shared with the redaction corpus and the ingest bench;
- `loading`: the demo into a database (`ingest_demo`, `demo_fallback`).
"""

from pulse.demo.actions import PLANTED_ACTIONS, PlantedAction, demo_actions
from pulse.demo.corpus import (
    BRAND_HANDLES,
    DEMO_SOURCES,
    FADING_THEME,
    LANGUAGES,
    MULTILINGUAL_THEME,
    SURGING_THEME,
)
from pulse.demo.generate import TICKET_COLUMNS, ensure_demo, generate_demo
from pulse.demo.loading import demo_fallback, has_user_data, ingest_demo, load_demo

__all__ = [
    "BRAND_HANDLES",
    "DEMO_SOURCES",
    "FADING_THEME",
    "LANGUAGES",
    "MULTILINGUAL_THEME",
    "PLANTED_ACTIONS",
    "SURGING_THEME",
    "TICKET_COLUMNS",
    "PlantedAction",
    "demo_actions",
    "demo_fallback",
    "ensure_demo",
    "generate_demo",
    "has_user_data",
    "ingest_demo",
    "load_demo",
]
