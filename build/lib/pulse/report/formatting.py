"""Every number, sign, percentage and date the report prints, written in one place.

The templates reach these through Jinja filters (`register_filters`), summary.json and the
sentences of `wording` call them directly, so a figure is never formatted twice. Unknown is
an em dash; a change always carries its sign, with a true minus (U+2212) and "±0" for none.

Whether a KPI tile's change is "no change" is decided on the number (`kpi_change_is_zero`):
the change rounded to the precision the tile prints is zero, so a figure that shows as
"+0 pts" is never judged better or worse.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from jinja2 import Environment

from pulse.report.model import KpiMove, KpiTile
from pulse.weeks import IsoWeek

MINUS = "\u2212"


def number(value: Any) -> float | None:
    """A finite float, or None for None, booleans, text and NaN/infinity."""
    if value is None or isinstance(value, bool):
        return None
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return None
    return as_float if math.isfinite(as_float) else None


def _minus(text: str) -> str:
    """A typographic minus, as the rest of the report writes one."""
    return text.replace("-", MINUS)


def format_num(value: Any, digits: int = 0) -> str:
    """1234.5 -> '1,235'; None -> an em dash, the report's mark for 'not known'."""
    known = number(value)
    if known is None:
        return "—"
    text = f"{known:,.{digits}f}"
    return "0" if text in ("-0", "−0") else _minus(text)


def format_pct(value: Any, digits: int = 0) -> str:
    """A fraction as a percentage: 0.812 -> '81%'."""
    known = number(value)
    if known is None:
        return "—"
    return f"{format_num(known * 100, digits)}%"


def format_delta(value: Any, kind: str = "pct", digits: int = 0) -> str:
    """A signed change: fraction 2.9 -> '+290%', kind='pp' for percentage points.

    The sign is always written, so a change never reads as a level. Growth of
    tenfold or more is written as a multiple of last week (fraction 11 -> '×12').
    """
    known = number(value)
    if known is None:
        return "—"
    if kind == "pct" and known >= 10:
        # +6,172,700% says nothing a reader can picture; "×61,728" does, and fits a cell.
        return f"×{format_num(known + 1)}"
    if kind == "pct":
        text, unit = format_num(abs(known) * 100, digits), "%"
    elif kind == "pp":
        text, unit = format_num(abs(known) * 100, digits), " pts"
    else:
        text, unit = format_num(abs(known), digits), ""
    if text.strip("0.,") == "":
        return f"±0{unit}"
    return f"{'+' if known > 0 else MINUS}{text}{unit}"


def signed(value: Any) -> str:
    """+31, −7, ±0: a count's change, always signed."""
    return format_delta(value, "num")


def signed_fixed(value: float, digits: int = 1) -> str:
    """+4.6 / −6.5: a signed figure at fixed precision, zero written "+0.0"."""
    return _minus(f"{value:+.{digits}f}")


def signed_units(units: int, digits: int) -> str:
    """Units of 10^-digits as a signed figure with a true minus: -3, 1 -> '−0.3'."""
    if units == 0:
        return f"±{0:.{digits}f}"
    text = f"{abs(units) / 10**digits:,.{digits}f}"
    return f"{'+' if units > 0 else MINUS}{text}"


# --- KPI tiles --------------------------------------------------------------------------


def _fmt_int(v: float) -> str:
    return f"{v:,.0f}"


def _fmt_2(v: float) -> str:
    return f"{v:.2f}"


def _fmt_signed(v: float) -> str:
    return _minus(f"{v:+.0f}")


def whole_pct(v: float) -> str:
    """A fraction as a whole percentage, as tiles and summaries write shares: 0.895 -> '90%'."""
    return f"{100 * v:.0f}%"


def _fmt_minutes(v: float) -> str:
    return f"{v:.0f} min" if v < 120 else f"{v / 60:.1f} h"


# How each tile writes its value and its change: a relative change ("pct"), percentage
# points ("pp") or the difference at `digits` decimals with a unit ("abs").
_KPI_FORMATS: dict[str, tuple[Callable[[float], str], tuple[str, int, str]]] = {
    "volume": (_fmt_int, ("pct", 0, "")),
    "csat": (_fmt_2, ("abs", 1, "")),
    "nps": (_fmt_signed, ("abs", 0, " pts")),
    "first_response": (_fmt_minutes, ("pct", 0, "")),
}
_SHARE_FORMAT = (whole_pct, ("pp", 0, ""))


def kpi_value_text(tile: KpiTile) -> str:
    """The tile's figure: '1,234', '2.65', '−58', '3.0 h', '35%'; '' without a value."""
    if tile.value is None:
        return ""
    return _KPI_FORMATS.get(tile.key, _SHARE_FORMAT)[0](tile.value)


def kpi_change_text(tile: KpiTile) -> str:
    """The change against last week as summary.json records it: '−5%', '+0 pts', '×82'.

    '' when there is nothing to compare with (or a relative change from zero). The tile
    prints `kpi_change_shown`, which says "±0" where this rounds to zero.
    """
    if tile.value is None or tile.prev is None or tile.delta is None:
        return ""
    v, p = tile.value, tile.prev
    kind, digits, unit = _KPI_FORMATS.get(tile.key, _SHARE_FORMAT)[1]
    if kind == "pct":
        if not p:
            return ""
        if v / p >= 11:
            # "+8,115%" says nothing a reader can picture; "×82" does
            return f"×{v / p:,.0f}"
        return _minus(f"{100 * (v - p) / p:+.0f}%")
    if kind == "pp":
        return _minus(f"{100 * (v - p):+.0f} pts")
    return _minus(f"{v - p:+.{digits}f}{unit}")


def kpi_change_is_zero(tile: KpiTile) -> bool:
    """Whether the change rounds to zero at the precision the tile prints it.

    A change shown as "+0 pts" or "−0.0" is no change: calling it "worse" would send a
    reader after noise. Decided on the number, at the same rounding the text uses.
    """
    delta = number(tile.delta)
    if delta is None:
        return False
    kind, digits, _unit = _KPI_FORMATS.get(tile.key, _SHARE_FORMAT)[1]
    v, p = tile.value, tile.prev
    if v is None or p is None:
        return round(delta, 1) == 0
    if kind == "pct":
        if not p:
            return round(delta, 1) == 0  # written as a plain difference, one decimal
        if v / p >= 11:
            return False
        return round(100 * (v - p) / p) == 0
    if kind == "pp":
        return round(100 * (v - p)) == 0
    return round(v - p, digits) == 0


def kpi_change_shown(tile: KpiTile) -> str:
    """The change a tile prints: its text, "±0" when that rounds to zero."""
    if kpi_change_is_zero(tile):
        return "±0"
    return kpi_change_text(tile) or format_delta(tile.delta, "num", 1)


# --- KPI moves (pulse.report.kpi_moves) ---------------------------------------------------


def kpi_move_top(move: KpiMove) -> list[str]:
    """'Billing −0.57' for each named part that does not round to zero."""
    return [
        f"{part.label} {signed_units(part.units, move.digits)}"
        for part in move.shown_parts
        if part.units
    ]


def kpi_move_other(move: KpiMove) -> str:
    """What the parts beyond the named ones add up to, signed: '−0.6'."""
    return signed_units(move.shown_other, move.digits)


def kpi_move_line(move: KpiMove) -> str:
    """'CSAT −0.65: Billing −0.57, Login −0.02, other −0.06': figures that add up."""
    other = [f"other {kpi_move_other(move)}"] if move.shown_other else []
    pieces = kpi_move_top(move) + other
    unit = f" {move.unit}" if move.unit else ""
    head = f"{move.name} {signed_units(move.shown_total, move.digits)}{unit}"
    return f"{head}: {', '.join(pieces)}" if pieces else head


# --- dates --------------------------------------------------------------------------------


def week_labels(week: IsoWeek | None, count: int) -> list[str]:
    """'W35' … 'W46': the chart labels of the `count` weeks up to `week`."""
    if week is None:
        return [""] * count
    return [f"W{week.shift(offset).week:02d}" for offset in range(-count + 1, 1)]


def format_day(text: str | None, with_year: bool = True) -> str:
    """'2026-11-09' -> '9 November 2026'; other text unchanged."""
    if not text:
        return ""
    try:
        day = date.fromisoformat(str(text)[:10])
    except ValueError:
        return str(text)
    return f"{day.day} {day:%B %Y}" if with_year else f"{day.day} {day:%B}"


def format_timestamp(text: str | None) -> str:
    """'2026-11-16T06:00:00Z' -> '16 November 2026, 06:00 UTC'; other text unchanged."""
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    zone = "UTC" if moment.utcoffset() == timedelta(0) else moment.strftime("%z")
    return f"{moment.day} {moment:%B %Y, %H:%M} {zone}".rstrip()


def date_range(start: str | None, end: str | None) -> str:
    """'9–15 November 2026', spelled out so nobody misreads 09/11 as September."""
    try:
        first, last = date.fromisoformat(str(start)[:10]), date.fromisoformat(str(end)[:10])
    except (TypeError, ValueError):
        return " – ".join(part for part in (str(start or ""), str(end or "")) if part)
    if first.year != last.year:
        return f"{format_day(start)} – {format_day(end)}"
    if first.month != last.month:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day}–{last.day} {last:%B %Y}"


def register_filters(env: Environment) -> None:
    """The template's filters: `|num`, `|pct`, `|delta`, `|signed`, and the tiles' own."""
    env.filters["num"] = format_num
    env.filters["pct"] = format_pct
    env.filters["delta"] = format_delta
    env.filters["signed"] = signed
    env.filters["kpi_value"] = kpi_value_text
    env.filters["kpi_change"] = kpi_change_shown
    env.filters["move_top"] = kpi_move_top
    env.filters["move_other"] = kpi_move_other
    env.filters["move_line"] = kpi_move_line
