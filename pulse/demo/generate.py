"""Writing the demo's files: tickets.csv, social.jsonl and truth.json for N weeks.

Every text comes from one seeded `random.Random` (the planted actions' thinning from a
second one, seeded from the first's seed); the clock is read only to pick the default
anchor week, never inside the data, so the same arguments give byte-identical files.

About one text in ten is written in French, German, Spanish or Portuguese (the
`languages` of themes.yaml). A third generator of its own draws each text's language and
writes the texts that are not English, after the English draft is made all the same: the
English texts, the counts, times, ids and outcomes are what they were before the demo
spoke other languages, and only the texts drawn to another language are written anew.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime
from pathlib import Path

from pulse.demo.actions import PLANTED_ACTIONS, dropped_by_actions
from pulse.demo.compose import Draft, compose
from pulse.demo.corpus import (
    FADING_THEME,
    LANGUAGES,
    MULTILINGUAL_THEME,
    SURGING_THEME,
    THEMES,
    Theme,
)
from pulse.demo.fake_pii import member_handle
from pulse.demo.fields import iso, post_id, post_url, reach, ticket_fields, weighted
from pulse.demo.volumes import (
    SOCIAL_DAY_WEIGHTS,
    SOCIAL_HOUR_WEIGHTS,
    SURGE_DAY_WEIGHTS,
    TICKET_DAY_WEIGHTS,
    TICKET_HOUR_WEIGHTS,
    timestamp,
    weekly_counts,
)
from pulse.errors import PulseError
from pulse.weeks import IsoWeek

TICKET_COLUMNS = [
    "ticket_id", "created_at", "updated_at", "channel", "member_tier", "subject", "body",
    "csat", "nps", "first_response_minutes", "resolution_minutes", "is_escalated", "status",
    "tags",
]


def generate_demo(
    out_dir: Path,
    anchor: IsoWeek | None = None,
    weeks: int = 12,
    scale: float = 1.0,
    seed: int = 20261122,
    other_languages: bool = True,
) -> dict:
    """Write tickets.csv, social.jsonl and truth.json for `weeks` weeks ending at `anchor`.

    The data stand in for a real support organisation on a fresh machine, and the truth file
    lets tests and benchmarks check that Pulse finds what was planted: `invite_all_contacts`
    jumps to about four times its baseline in the anchor week (and reads angrier), while
    `mobile_app_crash` falls to at most 30% of its earlier level; `notification_spam` falls
    to about a fifth from its planted action's day (three weeks before the anchor), and
    `login_verification` has an action and no change (`PLANTED_ACTIONS`); every other theme
    is flat. `no_human_support` is the multilingual theme: about 70% of its texts are in
    French, German, Spanish or Portuguese, as are 7% of six other themes' texts, about one
    text in ten in all (truth.json's `doc_language` gives each text's language). The
    surging theme stays English: at the tests' scale its flag rests on a dozen texts.

    Args:
        out_dir: Folder to write into; created if missing, files in it are replaced.
        anchor: The last (newest) week; defaults to the last complete ISO week.
        weeks: How many weeks to generate; at least 5, so the fade has a baseline.
        scale: Multiplies volumes (1.0 gives about 450 texts a week); small themes keep a
            floor of a few texts a week so they stay clusterable at small scales.
        seed: Seed of the only random generator used; same arguments give identical bytes.
        other_languages: False writes every text in English, the texts the demo had before
            it was multilingual (the language draws have a generator of their own), so a
            benchmark can measure the English path alone.

    Returns:
        The truth dict that is also written to truth.json.

    Raises:
        PulseError: If weeks or scale are out of range.
    """
    if weeks < 5:
        raise PulseError(f"weeks={weeks} is too few for the demo; use 5 or more (default 12)")
    if not scale > 0:
        raise PulseError(f"scale={scale} must be a positive number, e.g. 1.0 or 0.25")
    anchor = anchor or IsoWeek.last_complete()
    week_list = [anchor.shift(offset - (weeks - 1)) for offset in range(weeks)]
    rng = random.Random(seed)
    language_rng = random.Random(f"{seed}:languages")
    export_time = iso(datetime.combine(anchor.sunday, datetime.max.time()))
    counts = weekly_counts(rng, weeks, scale)

    tickets: list[tuple[datetime, dict[str, str], str]] = []
    posts: list[tuple[datetime, dict[str, object], str]] = []
    author_pool = [member_handle(rng) for _ in range(1500)]
    seen: dict[str, set[str]] = {theme.key: set() for theme in THEMES}
    seen_in_language: dict[str, set[str]] = {theme.key: set() for theme in THEMES}
    pii_by_text: list[tuple[str, list[str], int, datetime]] = []
    language_of: dict[tuple[str, int], str] = {}

    for index, week in enumerate(week_list):
        weeks_old = weeks - 1 - index
        for theme in THEMES:
            angry = theme.key == SURGING_THEME and weeks_old == 0
            for _ in range(counts[theme.key][index]):
                is_social = rng.random() < theme.social_share
                channel = weighted(rng, theme.platforms if is_social else theme.channels)
                day_weights = (SURGE_DAY_WEIGHTS if angry
                               else SOCIAL_DAY_WEIGHTS if is_social else TICKET_DAY_WEIGHTS)
                created = timestamp(rng, week, day_weights,
                                     SOCIAL_HOUR_WEIGHTS if is_social else TICKET_HOUR_WEIGHTS)
                # Re-draw a few times when a text repeats one already written for the theme:
                # real members do repeat themselves, but not this often.
                for _attempt in range(4):
                    draft = compose(theme, rng, created, is_social, channel, angry)
                    if draft.text not in seen[theme.key]:
                        break
                seen[theme.key].add(draft.text)
                language = _draw_language(language_rng, theme) if other_languages else "en"
                if language != "en":
                    draft = _draft_in(
                        language,
                        theme,
                        language_rng,
                        created,
                        is_social,
                        channel,
                        angry,
                        seen_in_language[theme.key],
                    )
                if is_social:
                    record: dict[str, object] = {
                        "created_at": iso(created),
                        "platform": channel,
                        "author_handle": rng.choices(
                            author_pool, weights=[1 / (i + 1) for i in range(len(author_pool))]
                        )[0] if rng.random() < 0.3 else member_handle(rng),
                        "text": draft.text,
                        "reach": reach(channel, rng),
                    }
                    posts.append((created, record, theme.key))
                    language_of[("social", len(posts) - 1)] = language
                    pii_by_text.append(("social", draft.pii, len(posts) - 1, created))
                else:
                    row = {"created_at": iso(created), "subject": draft.subject,
                           "body": draft.text}
                    row.update(ticket_fields(theme, rng, created, weeks_old, angry, channel))
                    # The export is taken when the anchor week ends: nothing is updated later
                    # (a loader rightly rejects timestamps from the future).
                    if str(row["updated_at"]) > export_time:
                        row["updated_at"] = export_time
                    tickets.append((created, row, theme.key))
                    language_of[("ticket", len(tickets) - 1)] = language
                    pii_by_text.append(("ticket", draft.pii, len(tickets) - 1, created))

    ticket_ids = _assign_ticket_ids(rng, tickets)
    post_ids = _assign_post_ids(rng, posts)
    # The planted actions thin their theme's texts from their day on. A generator of its own
    # draws which go, after every text and id is made, so every other text stays as it was.
    dropped = dropped_by_actions(random.Random(f"{seed}:actions"), anchor, tickets, posts)
    for kind, position in dropped:
        created, _item, theme_key = (tickets if kind == "ticket" else posts)[position]
        counts[theme_key][week_list.index(IsoWeek.of(created.date()))] -= 1

    doc_theme: dict[str, str] = {}
    doc_language: dict[str, str] = {}
    pii: dict[str, list[str]] = {}
    for kind, kinds, position, _created in pii_by_text:
        doc_id = ticket_ids[position] if kind == "ticket" else post_ids[position]
        if kinds and (kind, position) not in dropped:
            pii[doc_id] = kinds
    for position, (_created, _row, theme_key) in enumerate(tickets):
        if ("ticket", position) not in dropped:
            doc_theme[ticket_ids[position]] = theme_key
            doc_language[ticket_ids[position]] = language_of[("ticket", position)]
    for position, (_created, _record, theme_key) in enumerate(posts):
        if ("social", position) not in dropped:
            doc_theme[post_ids[position]] = theme_key
            doc_language[post_ids[position]] = language_of[("social", position)]
    kept_tickets = [i for i in range(len(tickets)) if ("ticket", i) not in dropped]
    kept_posts = [i for i in range(len(posts)) if ("social", i) not in dropped]
    tickets, ticket_ids = [tickets[i] for i in kept_tickets], [ticket_ids[i] for i in kept_tickets]
    posts, post_ids = [posts[i] for i in kept_posts], [post_ids[i] for i in kept_posts]

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_tickets(out_dir / "tickets.csv", tickets, ticket_ids)
    _write_posts(out_dir / "social.jsonl", posts, post_ids)

    truth = {
        "seed": seed,
        "scale": scale,
        "anchor_week": str(anchor),
        "weeks": [str(week) for week in week_list],
        "surging_theme": SURGING_THEME,
        "fading_theme": FADING_THEME,
        "multilingual_theme": MULTILINGUAL_THEME,
        "languages": {"en": "English"} | {code: lang.name for code, lang in LANGUAGES.items()},
        "themes": {
            theme.key: {"name": theme.name, "is_complaint": theme.is_complaint,
                        "keywords": theme.keywords}
            for theme in THEMES
        },
        "counts": {
            str(week): {theme.key: counts[theme.key][index] for theme in THEMES}
            for index, week in enumerate(week_list)
        },
        "actions": [
            {"theme": planted.theme, "action": planted.action, "owner": planted.owner,
             "on": planted.on(anchor).isoformat(), "expected_verdict": planted.expected_verdict}
            for planted in PLANTED_ACTIONS
        ],
        "doc_theme": dict(sorted(doc_theme.items())),
        # each text's language (ISO 639-1), as it was written
        "doc_language": dict(sorted(doc_language.items())),
        # Not part of the brief's contract, but lets redaction be scored against a key.
        "pii": dict(sorted(pii.items())),
    }
    (out_dir / "truth.json").write_text(
        json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return truth


def _draw_language(rng: random.Random, theme: Theme) -> str:
    """The language a text of `theme` is written in: one draw, for every text of every theme."""
    roll = rng.random()
    for code, share in theme.languages.items():
        if roll < share:
            return code
        roll -= share
    return "en"


def _draft_in(
    code: str,
    theme: Theme,
    rng: random.Random,
    created: datetime,
    is_social: bool,
    channel: str,
    angry: bool,
    seen: set[str],
) -> Draft:
    """A text of `theme` in language `code`, re-drawn as the English ones are when it repeats.

    A draft that picked one sentence twice is re-drawn too: a language has fewer sentences
    per theme than English, so it happens more often.
    """
    language = LANGUAGES[code]
    for _attempt in range(6):
        draft = compose(
            language.themes[theme.key], rng, created, is_social, channel, angry, language.blocks
        )
        if draft.text not in seen and not draft.repeats:
            break
    seen.add(draft.text)
    return draft


def _assign_ticket_ids(rng: random.Random, tickets: list) -> list[str]:
    """Zendesk numbers grow with time, with gaps where other brands' tickets were filed."""
    order = sorted(range(len(tickets)), key=lambda i: (tickets[i][0], i))
    ids = [""] * len(tickets)
    number = 104000 - rng.randint(0, 900)
    for i in order:
        number += rng.choice([1, 1, 1, 2, 3])
        ids[i] = f"ZD-{number}"
    return ids


#: Draws of a post id before one is made unique by a suffix.
ID_TRIES = 100


def _assign_post_ids(rng: random.Random, posts: list) -> list[str]:
    ids: list[str] = []
    used: set[str] = set()
    for created, record, _theme in posts:
        new_id = post_id(str(record["platform"]), rng, created)
        tries = 0
        while new_id in used:
            tries += 1
            new_id = post_id(str(record["platform"]), rng, created)
            if tries >= ID_TRIES:
                # The platform's ids around this time are all taken (a forum has about
                # 60 a minute): only at volumes far past the demo's, such as
                # bench/pipeline.py's million texts, where drawing again never ends.
                new_id = f"{new_id}{tries}"
        used.add(new_id)
        ids.append(new_id)
    return ids


def _write_tickets(path: Path, tickets: list, ids: list[str]) -> None:
    order = sorted(range(len(tickets)), key=lambda i: (tickets[i][0], ids[i]))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=TICKET_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for i in order:
            writer.writerow({"ticket_id": ids[i], **tickets[i][1]})


def _write_posts(path: Path, posts: list, ids: list[str]) -> None:
    order = sorted(range(len(posts)), key=lambda i: (posts[i][0], ids[i]))
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for i in order:
            created, record, _theme = posts[i]
            platform = str(record["platform"])
            line = {
                "post_id": ids[i],
                "created_at": record["created_at"],
                "platform": platform,
                "author_handle": record["author_handle"],
                "text": record["text"],
                "reach": record["reach"],
                "url": post_url(platform, ids[i], str(record["author_handle"]),
                                str(record["text"])),
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def ensure_demo(out_dir: Path, anchor: IsoWeek | None = None, scale: float = 1.0) -> Path:
    """The demo folder for `anchor`, generated only when missing or for another anchor.

    Regenerating is cheap (about a second) but would change file fingerprints for
    nothing; an unchanged demo folder lets a rerun skip ingestion entirely.
    """
    anchor = anchor or IsoWeek.last_complete()
    truth_path = Path(out_dir) / "truth.json"
    if truth_path.exists():
        try:
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            truth = {}
        if truth.get("anchor_week") == str(anchor) and truth.get("scale") == scale:
            return Path(out_dir)
    generate_demo(Path(out_dir), anchor=anchor, scale=scale)
    return Path(out_dir)
