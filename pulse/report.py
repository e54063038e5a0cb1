"""Render the weekly report: HTML, PDF, ranked-issue CSV, summary and run record.

The report shows text written by strangers (ticket and post quotes, and topic
labels and keywords derived from them), so two guards hold whatever the data:

* Jinja2 escapes everything (``autoescape=True``), and ``StrictUndefined`` turns a
  misspelt field into an error instead of a silently blank cell.
* WeasyPrint gets a URL fetcher that serves only files inside the templates
  folder. Even if markup slipped through, it could not make the renderer reach
  the network, read local files or embed attachments.

All outputs for a week are built in a temporary sibling folder and swapped in
with renames, so a crash mid-render never leaves a half-written PDF where last
week's good one was.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import mimetypes
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import HTML, URLFetcher
from weasyprint.urls import URLFetcherResponse

from pulse import charts
from pulse.config import TEMPLATES_DIR
from pulse.errors import PulseError
from pulse.weeks import IsoWeek

# WeasyPrint's CSS parser reports the SVG presentation properties of our own
# matplotlib charts (fill, stroke) as unknown, though its SVG renderer draws them;
# the warnings would only bury real problems in a cron log.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

PAGE_SIZES = ("A4", "Letter")
DEFAULT_DETAIL_ISSUES = 5
COMPONENT_ORDER = ("volume", "negativity", "growth", "severity", "reach")
COMPONENT_LABELS = {
    "volume": "Volume",
    "negativity": "Negativity",
    "growth": "Growth",
    "severity": "Severity",
    "reach": "Reach",
}
CSV_COLUMNS = (
    "rank", "prev_rank", "topic_id", "label", "volume", "prev_volume", "volume_change",
    "volume_delta", "negative_count", "negative_delta", "negative_share", "mean_csat",
    "csat_count", "mean_sentiment", "priority",
    *(f"component_{name}" for name in COMPONENT_ORDER),
    "is_new", "is_emerging", "is_improving",
    "negative_share_low", "negative_share_high", "csat_low", "csat_high",
    "baseline_volume", "p_value_up", "p_value_down", "keywords", "sub_themes", "why",
    "owner", "notes", "first_seen_week", "weeks_seen", "weeks_in_top", "weeks_without_owner",
)
#: A quote longer than this is cut at a word and ends with "…", so an issue fits a page.
QUOTE_MAX_CHARS = 320
QUOTES_SHOWN = 3
DEFAULT_TOP_ISSUES = 15
# A spreadsheet treats a cell starting with one of these as a formula; labels and
# keywords come from customer text, so such cells get a leading apostrophe.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class RefusedURL(ValueError):
    """Raised by the fetcher for any URL outside the templates folder.

    A ValueError (not a fatal error) on purpose: WeasyPrint logs it and leaves the
    resource out, so a stray reference costs a missing image, never a report.
    """


class TemplateFolderFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves files from one folder and nothing else.

    Refuses every scheme but ``file:``, any ``file:`` path that resolves (after
    symlinks and ``..``) outside the folder, and anything that is not a regular
    file. Nothing is delegated to urllib, so no request can leave the process.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = Path(root).resolve()

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the file's bytes, or raise RefusedURL saying why it was refused."""
        path = self.resolve(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        response_headers = {"Content-Type": content_type}
        if content_type.startswith("text/"):
            response_headers["Content-Type"] = f"{content_type}; charset=utf-8"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), response_headers)

    def resolve(self, url: str) -> Path:
        """Map a URL to a file inside the root, or raise RefusedURL."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise RefusedURL(f"refused {url[:80]!r}: only files in the templates folder load")
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"refused {url[:80]!r}: remote file hosts are not served")
        try:
            path = Path(url2pathname(unquote(parts.path))).resolve()
        except (OSError, ValueError):  # e.g. an embedded NUL byte
            raise RefusedURL(f"refused {url[:80]!r}: not a usable file path") from None
        if not path.is_relative_to(self.root):
            raise RefusedURL(f"refused {url[:80]!r}: outside the templates folder")
        if not path.is_file():
            raise RefusedURL(f"refused {url[:80]!r}: no such file in the templates folder")
        return path


# --- formatting filters ------------------------------------------------------------


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_num(value: Any, digits: int = 0) -> str:
    """1234.5 -> '1,235'; None -> an em dash, the report's mark for 'not known'."""
    number = _number(value)
    if number is None:
        return "—"
    text = f"{number:,.{digits}f}"
    return "0" if text in ("-0", "−0") else text.replace("-", "−")


def format_pct(value: Any, digits: int = 0) -> str:
    """A fraction as a percentage: 0.812 -> '81%'."""
    number = _number(value)
    if number is None:
        return "—"
    return f"{format_num(number * 100, digits)}%"


def format_delta(value: Any, kind: str = "pct", digits: int = 0) -> str:
    """A signed change: fraction 2.9 -> '+290%', kind='pp' for percentage points.

    The sign is always written, so a change never reads as a level. Growth of
    tenfold or more is written as a multiple of last week (fraction 11 -> '×12').
    """
    number = _number(value)
    if number is None:
        return "—"
    if kind == "pct" and number >= 10:
        # +6,172,700% says nothing a reader can picture; "×61,728" does, and fits a cell.
        return f"×{format_num(number + 1)}"
    if kind == "pct":
        text, unit = format_num(abs(number) * 100, digits), "%"
    elif kind == "pp":
        text, unit = format_num(abs(number) * 100, digits), " pts"
    else:
        text, unit = format_num(abs(number), digits), ""
    if text.strip("0.,") == "":
        return f"±0{unit}"
    return f"{'+' if number > 0 else '−'}{text}{unit}"


@lru_cache(maxsize=8)
def _environment(templates_dir: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_num
    env.filters["pct"] = format_pct
    env.filters["delta"] = format_delta
    return env


def make_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    """The Jinja2 environment the report uses: escaping on, undefined names fatal."""
    return _environment(str(Path(templates_dir).resolve()))


# --- view model --------------------------------------------------------------------


def _week_labels(week: IsoWeek | None, count: int) -> list[str]:
    if week is None:
        return [""] * count
    return [f"W{week.shift(offset).week:02d}" for offset in range(-count + 1, 1)]


def _fmt_day(text: str | None, with_year: bool = True) -> str:
    if not text:
        return ""
    try:
        day = date.fromisoformat(str(text)[:10])
    except ValueError:
        return str(text)
    return f"{day.day} {day:%B %Y}" if with_year else f"{day.day} {day:%B}"


def _fmt_timestamp(text: str | None) -> str:
    """'2026-11-16T06:00:00Z' -> '16 November 2026, 06:00 UTC'; other text unchanged."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    zone = "UTC" if moment.utcoffset() == timedelta(0) else moment.strftime("%z")
    return f"{moment.day} {moment:%B %Y, %H:%M} {zone}".rstrip()


def _date_range(start: str | None, end: str | None) -> str:
    """'9–15 November 2026', spelled out so nobody misreads 09/11 as September."""
    try:
        first, last = date.fromisoformat(str(start)[:10]), date.fromisoformat(str(end)[:10])
    except (TypeError, ValueError):
        return " – ".join(part for part in (str(start or ""), str(end or "")) if part)
    if first.year != last.year:
        return f"{_fmt_day(start)} – {_fmt_day(end)}"
    if first.month != last.month:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day}–{last.day} {last:%B %Y}"


def _kpi_view(kpi: Mapping[str, Any], index: int, has_earlier_week: bool) -> dict[str, Any]:
    """Add direction (arrow + word) and judgement (better/worse) to a KPI tile.

    Direction and judgement are separate on purpose: a fall in first-response time
    is good news, and a grayscale print must still say so in words. A share whose
    count moved the other way (a smaller share negative of a much larger week, so more
    negative texts) gets no judgement and shows both counts: "better" would mislead.
    """
    value = _number(kpi.get("value"))
    delta = _number(kpi.get("delta"))
    better = kpi.get("better")
    if delta is None:
        arrow, direction, judgement = "", "flat", "neutral"
    elif delta == 0:
        arrow, direction, judgement = "►", "no change", "neutral"
    else:
        rising = delta > 0
        arrow, direction = ("▲", "up") if rising else ("▼", "down")
        if better in ("up", "down"):
            judgement = "better" if (better == "up") == rising else "worse"
        else:
            judgement = "neutral"
    delta_display = kpi.get("delta_display") or format_delta(delta, "num", 1)
    if delta is not None and not any(ch in "123456789" for ch in delta_display):
        # A change that rounds to zero at the precision shown ("-0.0") is no change:
        # calling it "worse" would send a reader after noise.
        arrow, direction, judgement, delta_display = "►", "no change", "neutral", "±0"
    counts_note, counts_judgement = _counts_note(kpi, direction, better)
    if counts_note:
        judgement = "neutral"
    history = list(kpi.get("history") or [])
    return {
        **kpi,
        "has_value": value is not None,
        "display": kpi.get("display") or format_num(value),
        "delta_display": delta_display,
        "arrow": arrow,
        "direction": direction,
        "judgement": judgement,
        "counts_note": counts_note,
        "counts_judgement": counts_judgement,
        "no_comparison": _no_comparison(kpi, has_earlier_week),
        "basis": _kpi_basis(kpi),
        "count": kpi.get("count"),
        "sparkline": charts.sparkline(
            history, from_zero=kpi.get("key") == "volume", width_in=2.2, height_in=0.32,
            chart_id=f"kpi-{index}",
        ),
    }


def _counts_note(kpi: Mapping[str, Any], direction: str, better: Any) -> tuple[str, str]:
    """'1,210 negative texts, up from 430' when a share and its count moved apart.

    The rule reads the counts, not a threshold: whenever the share went one way and the
    number of texts it counts went the other, the share alone tells the wrong story.
    Returns the note and its judgement (by the count), or two empty strings.
    """
    count = _number(kpi.get("numerator_count"))
    prev = _number(kpi.get("prev_numerator_count"))
    if count is None or prev is None or count == prev or direction not in ("up", "down"):
        return "", ""
    count_rising = count > prev
    if count_rising == (direction == "up"):
        return "", ""
    noun = str(kpi.get("numerator_noun") or "texts")
    note = f"{format_num(count)} {noun}, {'up' if count_rising else 'down'} from {format_num(prev)}"
    if better in ("up", "down"):
        return note, "better" if (better == "up") == count_rising else "worse"
    return note, "neutral"


def _no_comparison(kpi: Mapping[str, Any], has_earlier_week: bool) -> str:
    """What a tile without a change says: never "no earlier week" when there is one."""
    if not has_earlier_week:
        return "no earlier week to compare with"
    if kpi.get("key") == "volume":
        return "no texts last week"
    return "none last week to compare with"


def _kpi_basis(kpi: Mapping[str, Any]) -> str:
    """The small print under a tile: how many texts or answers the figure rests on."""
    count = _number(kpi.get("count"))
    if not count:
        return ""
    key = kpi.get("key")
    if key == "negative_share" and _number(kpi.get("numerator_count")) is not None:
        return (f"{format_num(kpi['numerator_count'])} of {format_num(count)} texts "
                "negative in tone")
    if key == "complaint_share":
        return f"{format_num(count)} texts from sources that hold only complaints"
    if key == "mobile_share":
        return f"of {format_num(count)} {'ticket' if count == 1 else 'tickets'} with a channel"
    if key in ("csat", "nps"):
        return f"based on {format_num(count)} {'answer' if count == 1 else 'answers'}"
    return f"based on {format_num(count)} {'text' if count == 1 else 'texts'}"


def _bar_width(fraction: float) -> float:
    """A CSS width in percent, clamped so a bad number cannot draw past its cell."""
    return round(min(max(fraction, 0.0), 1.0) * 100, 2)


def _contributions(issue: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each component's share of the priority, for the stacked bar and the table."""
    components = issue.get("components") or {}
    weights = issue.get("weights") or {}
    total_weight = sum(_number(weights.get(name)) or 0.0 for name in COMPONENT_ORDER) or 1.0
    rows = []
    for name in COMPONENT_ORDER:
        score = _number(components.get(name))
        weight = _number(weights.get(name))
        contribution = (score or 0.0) * (weight or 0.0) / total_weight
        rows.append({
            "key": name,
            "label": COMPONENT_LABELS[name],
            "score": score,
            "weight": weight,
            "contribution": contribution,
            "width_pct": _bar_width(contribution),
        })
    return rows


def _mix_rows(mix: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    rows = []
    for name, share in (mix or {}).items():
        number = _number(share)
        if number is None:
            continue
        rows.append({"name": str(name), "share": number, "width_pct": _bar_width(number)})
    rows.sort(key=lambda row: (-row["share"], row["name"]))
    return rows


def _rank_change(issue: Mapping[str, Any], top_n: int) -> dict[str, str]:
    """The move since last week, naming last week's rank only if last week's report showed it.

    An issue that ranked below the top `top_n` (or not at all) was not in last week's
    report, so "up 23 (last week #24)" would point at a rank nobody saw.
    """
    prev, rank = issue.get("prev_rank"), issue.get("rank")
    if issue.get("is_new"):
        return {"arrow": "", "text": "new", "kind": "new"}
    if rank is None:
        return {"arrow": "", "text": "", "kind": "none"}
    if prev is None or int(prev) > top_n:
        # no break inside "top 15": the table's narrow rank cell wraps after "new in"
        return {"arrow": "", "text": f"new in top\u00a0{top_n}", "kind": "entered"}
    if prev == rank:
        return {"arrow": "=", "text": "same", "kind": "same"}
    moved = abs(int(prev) - int(rank))
    if rank < prev:
        return {"arrow": "▲", "text": f"up {moved}", "kind": "up"}
    return {"arrow": "▼", "text": f"down {moved}", "kind": "down"}


def change_text(issue: Mapping[str, Any], has_earlier_week: bool) -> str:
    """'+443% from 7', 'none last week' or, only when the data has no earlier week at all,
    'no earlier week'.
    """
    prev = _number(issue.get("prev_volume"))
    if prev is None and has_earlier_week:
        # the data has earlier weeks, so last week's count is known: the history's
        history = list(issue.get("history") or [])
        prev = _number(history[-2]) if len(history) > 1 else None
        prev = prev or 0.0
    if prev is None:
        return "no earlier week"
    if prev == 0:
        return "none last week"
    volume = _number(issue.get("volume")) or 0.0
    return f"{format_delta(volume / prev - 1)} from {format_num(prev)}"


def _signed(value: Any) -> str:
    """+31, −7, ±0: a count's change, always signed."""
    return format_delta(value, "num")


def _split_view(split: Mapping[str, Any] | None, noun: str) -> dict[str, Any] | None:
    """A change split by issue as parts the template lists, or None when there is none."""
    if not split or _number(split.get("prev_total")) in (None, 0.0):
        return None
    parts = [
        {"label": str(part.get("label") or ""), "delta": _signed(part.get("delta")), "note": ""}
        for part in split.get("parts") or []
    ]
    others = int(_number(split.get("other_count")) or 0)
    if others or split.get("other_has_unassigned"):
        held = [f"{others} {'issue' if others == 1 else 'issues'}"] if others else []
        if split.get("other_has_unassigned"):
            held.append("texts in no issue")
        parts.append({"label": "other", "delta": _signed(split.get("other_delta")),
                      "note": f"({' and '.join(held)})"})
    return {
        "noun": noun,
        "delta": _signed(split.get("delta")),
        "total": format_num(split.get("total")),
        "prev_total": format_num(split.get("prev_total")),
        "parts": parts,
    }


def _sub_theme_rows(issue: Mapping[str, Any], index: int) -> list[dict[str, Any]]:
    """An issue's sub-themes for its page, only when it has more than one."""
    themes = list(issue.get("sub_themes") or [])
    if len(themes) < 2:
        return []
    return [
        {
            "label": str(theme.get("label") or ""),
            "volume": theme.get("volume"),
            "prev_volume": theme.get("prev_volume"),
            "delta": _signed(theme.get("volume_delta")),
            "sparkline": charts.sparkline(
                list(theme.get("history") or []), from_zero=True, width_in=1.1,
                height_in=0.22, chart_id=f"sub-{index}-{number}",
            ),
        }
        for number, theme in enumerate(themes)
    ]


def _short(text: str, limit: int) -> str:
    """`text` cut at the last word break before `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + " …"


def _weeks(count: int) -> str:
    return f"{count} week" if count == 1 else f"{count} weeks"


def _age_text(issue: Mapping[str, Any], detail_top: int) -> str:
    """'in the top 5 for 9 weeks · first seen 2026-W39': how long leadership has had it."""
    parts = []
    in_top = issue.get("weeks_in_top")
    if in_top and in_top > 1:
        parts.append(f"in the top {detail_top} for {_weeks(int(in_top))}")
    elif in_top == 1:
        parts.append(f"new in the top {detail_top}")
    if issue.get("first_seen_week"):
        parts.append(f"first seen {issue['first_seen_week']}")
    return " · ".join(parts)


def _priority_parts(issue: Mapping[str, Any]) -> str:
    """'volume 30, negativity 25, growth 25, severity 3, reach 4': what adds up to the
    priority, in one line instead of a table."""
    return ", ".join(
        f"{part['label'].lower()} {part['contribution'] * 100:.0f}"
        for part in _contributions(issue)
    )


def _issue_view(
    issue: Mapping[str, Any], index: int, labels: list[str], detailed: bool, top_n: int,
    has_earlier_week: bool, detail_top: int = DEFAULT_DETAIL_ISSUES,
) -> dict[str, Any]:
    history = list(issue.get("history") or [])
    view = {
        **issue,
        "rank_change": _rank_change(issue, top_n),
        "change_text": change_text(issue, has_earlier_week),
        # a change needs a week to change from
        "delta_text": _signed(issue.get("volume_delta")) if has_earlier_week else "—",
        "contributions": _contributions(issue),
        "sparkline": charts.sparkline(
            history, from_zero=True, width_in=1.1, height_in=0.3, chart_id=f"spark-{index}"
        ),
        "quotes": [
            {**quote, "text": _short(str(quote.get("text") or ""), QUOTE_MAX_CHARS)}
            for quote in list(issue.get("quotes") or [])[:QUOTES_SHOWN]
        ],
        "keywords": [str(word) for word in issue.get("keywords") or []],
        "why": issue.get("why") or "",
        "owner": issue.get("owner") or None,
        "age_text": _age_text(issue, detail_top),
        "priority_parts": _priority_parts(issue),
        "anchor": f"issue-{issue.get('topic_id', issue.get('rank'))}",
        "detailed": detailed,
    }
    if detailed:
        view["trend_chart"] = charts.issue_trend(
            history, list(issue.get("negative_history") or []), labels[-len(history):],
            chart_id=f"trend-{index}",
        )
        view["channel_rows"] = _mix_rows(issue.get("channel_mix"))
        view["tier_rows"] = _mix_rows(issue.get("tier_mix"))
        view["sub_theme_rows"] = _sub_theme_rows(issue, index)
    return view


def _brief(issue: Mapping[str, Any], has_earlier_week: bool) -> dict[str, Any]:
    """The few fields the emerging/improving lists show, each present even if unknown."""
    keys = ("rank", "topic_id", "label", "volume", "prev_volume", "volume_change",
            "negative_share", "why", "is_new")
    return {**{key: issue.get(key) for key in keys},
            "change_text": change_text(issue, has_earlier_week)}


def _has_earlier_week(context: Mapping[str, Any]) -> bool:
    """Whether the data has texts before this week; read off the histories if not given."""
    if context.get("has_earlier_week") is not None:
        return bool(context["has_earlier_week"])
    for kpi in context.get("kpis") or []:
        if kpi.get("key") == "volume" and any(_number(v) for v in (kpi.get("history") or [])[:-1]):
            return True
    return any(
        any(_number(v) for v in (issue.get("history") or [])[:-1])
        for issue in context.get("issues") or []
    )


def _top_n(context: Mapping[str, Any]) -> int:
    """How many issues the report ranks (settings.top_issues)."""
    value = context.get("top_issues") or ((context.get("run") or {}).get("parameters") or {}).get(
        "top_issues"
    )
    return int(value) if value else DEFAULT_TOP_ISSUES


def _absent_note(absent: Sequence[Mapping[str, Any]]) -> str:
    """One line naming the measures this week's sources do not have, instead of empty tiles.

    A measure that had texts or answers last week is named with last week's count: a
    tile that vanished is news (an export lost a column), one that never was is not.
    """
    names = {
        "negative_share": "tone", "csat": "CSAT", "nps": "NPS",
        "first_response": "first-response times", "mobile_share": "ticket channels",
    }

    def listed(items: list[str]) -> str:
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]

    never = [names.get(str(m.get("key")), str(m.get("label")))
             for m in absent if not _number(m.get("prev_count"))]
    dropped = [
        f"{names.get(str(m.get('key')), m.get('label'))} ({format_num(m['prev_count'])} last week)"
        for m in absent if _number(m.get("prev_count"))
    ]
    sentences = []
    if dropped:
        sentences.append(f"No {listed(dropped)} this week, so no tile.")
    if never:
        sentences.append(f"This week's sources have no {listed(never)}, so there is no tile "
                         "for them.")
    return " ".join(sentences)


def _verdict_counts(actions: Sequence[Mapping[str, Any]]) -> str:
    """'1 worked, 1 no clear change yet': the actions' verdicts for page one."""
    order = ("worked", "no clear change yet", "worse")
    counts = {v: sum(1 for a in actions if a.get("verdict") == v) for v in order}
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n)


def _since_view(since: Mapping[str, Any]) -> dict[str, Any] | None:
    """Since last week, as three short lists of phrases (empty lists are left out)."""
    if not since:
        return None
    entered = [
        f"{i['label']} (#{i['rank']}"
        + (f", was #{i['prev_rank']})" if i.get("prev_rank") else ", new)")
        for i in since.get("entered") or []
    ]
    words = {"resolved": "resolved: no texts this week", "faded": "faded",
             "overtaken": "overtaken by others", "merged": "merged"}
    left = []
    for i in since.get("left") or []:
        change = i.get("change")
        if change == "merged":
            left.append(f"{i['label']} (merged into {i.get('merged_into_label')})")
        elif change == "resolved":
            left.append(f"{i['label']} ({words['resolved']})")
        else:
            left.append(
                f"{i['label']} ({words.get(change, change)}, #{i['prev_rank']} → #{i['rank']}, "
                f"{format_num(i.get('prev_volume'))} → {format_num(i.get('volume'))} texts)"
            )
    movers = [
        f"{m['label']} {'up' if m['moved'] > 0 else 'down'} {abs(m['moved'])} "
        f"(#{m['prev_rank']} → #{m['rank']})"
        for m in since.get("movers") or []
    ]
    return {"top": since.get("top"), "entered": entered, "left": left, "movers": movers}


def build_view(context: Mapping[str, Any], detail_issues: int) -> dict[str, Any]:
    """Turn the pipeline's context into what the templates need, charts included.

    Kept apart from the templates so every number the report prints is computed
    (and testable) in Python; templates only lay it out.
    """
    page_size = context.get("page_size") or "A4"
    if page_size not in PAGE_SIZES:
        raise PulseError(f"page_size must be A4 or Letter, not {page_size!r}; fix pulse.toml")
    week_text = context.get("week")
    if not week_text:
        raise PulseError("the report context has no week; run the pipeline for a week first")
    week = IsoWeek.parse(str(week_text))
    issues = list(context.get("issues") or [])
    history_len = max([12, *(len(issue.get("history") or []) for issue in issues)])
    labels = _week_labels(week, history_len)
    top_n = _top_n(context)
    has_earlier_week = _has_earlier_week(context)
    actions = list(context.get("actions") or [])
    issue_views = [
        _issue_view(
            issue, index, labels, index < detail_issues, top_n, has_earlier_week, detail_issues
        )
        for index, issue in enumerate(issues)
    ]
    for view in issue_views:
        view["actions"] = [a for a in actions if a.get("issue_id") == view.get("topic_id")]
    # a tile only for a measure the week has: never a "no data" tile
    kpis = [
        _kpi_view(kpi, index, has_earlier_week)
        for index, kpi in enumerate(context.get("kpis") or [])
        if _number(kpi.get("value")) is not None and kpi.get("count") != 0
    ]
    changes = context.get("changes") or {}
    coverage = dict(context.get("coverage") or {})
    coverage.setdefault("sources", [])
    for key in ("total_texts_week", "unassigned", "unassigned_share", "weeks_of_history"):
        coverage.setdefault(key, None)
    sources = []
    for source in coverage["sources"]:
        loaded = _number(source.get("rows_loaded")) or 0
        rejected = _number(source.get("rows_rejected")) or 0
        total = loaded + rejected
        sources.append({**source, "rejected_share": rejected / total if total else None})
    coverage["sources"] = sources
    method = dict(context.get("method") or {})
    has_data = bool(issues) or any(kpi["has_value"] for kpi in kpis)
    return {
        "week": str(week),
        "week_number": week.week,
        "week_year": week.year,
        "date_range": _date_range(context.get("week_start") or week.monday.isoformat(),
                                  context.get("week_end") or week.sunday.isoformat()),
        "timezone": context.get("timezone") or "UTC",
        "generated_at": _fmt_timestamp(context.get("generated_at")),
        "generated_iso": str(context.get("generated_at") or ""),
        "page_size": page_size,
        "kpis": kpis,
        "absent_note": _absent_note(context.get("kpis_absent") or []),
        "kpi_moves": dict(context.get("kpi_moves") or {}),
        "actions": actions,
        "verdict_counts": _verdict_counts(actions),
        "volume_split": _split_view(changes.get("texts"), "texts"),
        "negative_split": _split_view(changes.get("negative_texts"), "negative texts"),
        "top_n": top_n,
        "show_csat": any(_number(issue.get("csat_count")) for issue in issues),
        "issues": issue_views,
        "top_three": issue_views[:3],
        "detail_issues": [view for view in issue_views if view["detailed"]],
        "detail_top": detail_issues,
        "since": _since_view(context.get("since_last_week") or {}),
        "unowned": [
            {"label": i.get("label"),
             "text": f"in the top {detail_issues} for {_weeks(int(i.get('weeks_in_top') or 0))}"}
            for i in context.get("unowned_persistent") or []
        ],
        "emerging": [_brief(i, has_earlier_week) for i in context.get("emerging") or []],
        "improving": [_brief(i, has_earlier_week) for i in context.get("improving") or []],
        "coverage": coverage,
        "method": method,
        "run": dict(context.get("run") or {}),
        "has_data": has_data,
        "partial_days": context.get("partial_days"),
        "data_weeks": context.get("data_weeks"),
        "component_labels": [COMPONENT_LABELS[name] for name in COMPONENT_ORDER],
        "component_keys": list(COMPONENT_ORDER),
    }


# --- outputs -----------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Sums in SQL can differ in the last bit between runs; nine significant
        # digits keep a rerun's CSV byte-identical and lose nothing an analyst uses.
        return f"{value:.9g}"
    return "" if value is None else value


def write_ranked_csv(issues: Sequence[Mapping[str, Any]], path: Path) -> None:
    """One row per ranked issue, for analysts who want the numbers behind the PDF."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for issue in issues:
            components = issue.get("components") or {}
            row = {
                **{key: issue.get(key) for key in CSV_COLUMNS},
                **{f"component_{name}": components.get(name) for name in COMPONENT_ORDER},
                "keywords": "; ".join(str(word) for word in issue.get("keywords") or []),
                "sub_themes": "; ".join(
                    f"{theme.get('label')}: {theme.get('volume')} "
                    f"({_signed(theme.get('volume_delta'))})"
                    for theme in issue.get("sub_themes") or []
                ),
            }
            writer.writerow([_csv_cell(row[key]) for key in CSV_COLUMNS])


def _summary(context: Mapping[str, Any], pages: int) -> dict[str, Any]:
    """A small machine-readable digest: what a chat bot or dashboard would post."""
    return {
        "week": context.get("week"),
        "week_start": context.get("week_start"),
        "week_end": context.get("week_end"),
        "partial_days": context.get("partial_days"),
        "generated_at": context.get("generated_at"),
        "run_id": (context.get("run") or {}).get("run_id"),
        "pages": pages,
        "kpis": [
            {
                key: kpi.get(key)
                for key in (
                    "key", "label", "value", "display", "prev", "delta", "delta_display",
                    "better", "count", "prev_count", "history", "numerator_count",
                    "prev_numerator_count", "numerator_noun",
                )
            }
            for kpi in context.get("kpis") or []
        ],
        # Every ranked issue with its figures, components and quotes (already redacted).
        "issues": [
            {key: issue.get(key) for key in (
                "rank", "prev_rank", "topic_id", "label", "volume", "prev_volume",
                "volume_change", "volume_delta", "negative_count", "negative_delta",
                "week_share", "baseline_share", "sub_themes", "baseline_volume", "negative_share",
                "mean_csat", "csat_count",
                "mean_sentiment", "priority", "components", "weights", "is_new", "is_emerging",
                "is_improving", "history", "channel_mix", "tier_mix", "keywords", "quotes",
                "negative_share_low", "negative_share_high", "csat_low", "csat_high",
                "p_value_up", "p_value_down", "is_small_sample", "why", "summary",
                "owner", "notes", "first_seen_week", "weeks_seen", "weeks_in_top",
                "weeks_without_owner")}
            for issue in context.get("issues") or []
        ],
        "issue_count": len(context.get("issues") or []),
        "top_issues": _top_n(context),
        "has_earlier_week": _has_earlier_week(context),
        # measures this week's sources do not have (no tile in the PDF)
        "kpis_absent": context.get("kpis_absent") or [],
        # the week's change in texts and in negative texts, split by issue (adds up)
        "changes": context.get("changes") or {},
        # each KPI's change split by issue into mix and rate parts that add up (pulse.kpi_moves)
        "kpi_moves": context.get("kpi_moves") or {},
        # each recorded action with its before/after figures and verdict (pulse.verdicts)
        "actions": context.get("actions") or [],
        "since_last_week": context.get("since_last_week") or {},
        "unowned_persistent": [
            {key: issue.get(key) for key in ("topic_id", "label", "rank", "weeks_in_top")}
            for issue in context.get("unowned_persistent") or []
        ],
        "emerging": [issue.get("topic_id") for issue in context.get("emerging") or []],
        "improving": [issue.get("topic_id") for issue in context.get("improving") or []],
        "coverage": context.get("coverage") or {},
    }


def _dump_json(value: Any, path: Path) -> None:
    path.write_text(
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
        encoding="utf-8",
    )


def _render_view(view: Mapping[str, Any], templates_dir: Path, inline_css: bool) -> str:
    css = None
    if inline_css:
        # Our own stylesheet, never data, so it may go in unescaped.
        css = Markup((Path(templates_dir) / "report.css").read_text(encoding="utf-8"))
    template = make_environment(templates_dir).get_template("report.html")
    return template.render(**view, inline_css=css)


def render_html(
    context: Mapping[str, Any],
    templates_dir: Path = TEMPLATES_DIR,
    *,
    detail_issues: int = DEFAULT_DETAIL_ISSUES,
    inline_css: bool = False,
) -> str:
    """The report as HTML: linking report.css (what WeasyPrint reads) or with it inlined.

    The inlined form is the report.html users open in a browser: one file that
    looks the same wherever it is copied.
    """
    return _render_view(build_view(context, detail_issues), templates_dir, inline_css)


def render_report(
    context: dict,
    out_dir: Path,
    templates_dir: Path = TEMPLATES_DIR,
    *,
    detail_issues: int = DEFAULT_DETAIL_ISSUES,
) -> dict[str, Path]:
    """Write the week's report files into out_dir, replacing the previous set whole.

    Args:
        context: the pipeline's report context (see tests/report_context.py).
        out_dir: the week's folder, e.g. outputs/2026-W46; created if missing.
        templates_dir: folder with report.html and report.css; also the only
            place the PDF renderer may load files from.
        detail_issues: how many top issues get a section of their own.

    Returns:
        Paths of the written files by name: pdf, html, csv, summary, run.

    Raises:
        PulseError: the context cannot be rendered (bad week or page size).
    """
    out_dir = Path(out_dir)
    templates_dir = Path(templates_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_swap(out_dir)
    token = uuid.uuid4().hex[:10]
    staging = out_dir.parent / f".{out_dir.name}.rendering-{token}"
    staging.mkdir()
    names = {
        "pdf": "report.pdf",
        "html": "report.html",
        "csv": "ranked_issues.csv",
        "summary": "summary.json",
        "run": "run.json",
    }
    try:
        view = build_view(context, detail_issues)
        html_text = _render_view(view, templates_dir, inline_css=False)
        standalone = _render_view(view, templates_dir, inline_css=True)
        (staging / names["html"]).write_text(standalone, encoding="utf-8")
        document = HTML(
            string=html_text,
            base_url=templates_dir.as_uri() + "/",
            url_fetcher=TemplateFolderFetcher(templates_dir),
        ).render()
        with _font_timestamps_from(context.get("generated_at")):
            document.write_pdf(staging / names["pdf"])
        write_ranked_csv(context.get("issues") or [], staging / names["csv"])
        _dump_json(_summary(context, len(document.pages)), staging / names["summary"])
        _dump_json(context.get("run") or {}, staging / names["run"])
        _swap_in(staging, out_dir, token)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {key: out_dir / name for key, name in names.items()}


@contextmanager
def _font_timestamps_from(generated_at: str | None) -> Iterator[None]:
    """Make the embedded font subsets carry the report's time, not the wall clock.

    Without HarfBuzz-Subset, WeasyPrint subsets fonts with fontTools, which stamps
    each subset with the current time, so the same context would give a different
    PDF every run. fontTools honours SOURCE_DATE_EPOCH (the reproducible-builds
    convention); it is set for the write only, and a value the caller set wins.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    epoch = 0
    try:
        moment = datetime.fromisoformat(str(generated_at).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        epoch = max(0, int(moment.timestamp()))
    except ValueError:
        pass
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def _recover_interrupted_swap(out_dir: Path) -> None:
    """Finish what a crash between the two renames of `_swap_in` left undone.

    If the week's folder is missing but a retired copy exists, the retired copy is
    the last good report: put it back. Retired copies next to a present folder are
    leftovers and go.
    """
    retired = sorted(
        out_dir.parent.glob(f".{out_dir.name}.previous-*"),
        key=lambda path: path.stat().st_mtime,
    )
    if retired and not out_dir.exists():
        retired.pop().rename(out_dir)
    for leftover in retired:
        shutil.rmtree(leftover, ignore_errors=True)


def _swap_in(staging: Path, out_dir: Path, token: str) -> None:
    """Replace out_dir by staging with two renames; the old folder goes last.

    Between the renames out_dir briefly does not exist, but the old report is
    still whole on disk under a hidden name, so nothing good is ever lost.
    """
    retired = out_dir.parent / f".{out_dir.name}.previous-{token}"
    had_previous = out_dir.exists()
    if had_previous:
        out_dir.rename(retired)
    try:
        staging.rename(out_dir)
    except BaseException:
        if had_previous:
            retired.rename(out_dir)
        raise
    if had_previous:
        shutil.rmtree(retired, ignore_errors=True)


__all__ = [
    "RefusedURL",
    "TemplateFolderFetcher",
    "build_view",
    "format_delta",
    "format_num",
    "format_pct",
    "make_environment",
    "render_html",
    "render_report",
    "write_ranked_csv",
]
