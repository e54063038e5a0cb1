"""Charts for the weekly report, drawn by matplotlib as inline SVG.

The report embeds each chart as an ``<svg>`` element inside the HTML rather than
as an image file: WeasyPrint then draws it as vectors, the URL fetcher never has
to serve anything but the stylesheet, and the HTML copy of the report is one
self-contained file. Every SVG here is generated from numbers only; no text from
customers ever reaches a chart, which is why the output may be trusted as
``Markup``.

Output is deterministic: a fixed ``svg.hashsalt`` makes matplotlib's element ids
repeatable, the date metadata is dropped, and glyphs are written as paths so the
drawing does not depend on which fonts the reader's machine has.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

# Figures are made with matplotlib.figure.Figure, never pyplot: no GUI backend,
# no global figure registry, nothing to close, and safe beside other threads.
import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from pulse.config import TEMPLATES_DIR
from pulse.errors import PulseError

STYLESHEET = TEMPLATES_DIR / "report.css"


def css_tokens(path: Path = STYLESHEET) -> dict[str, str]:
    """The custom properties of a stylesheet's `:root` block: {"brand": "#1f5fa8", …}.

    The charts take their colours from report.css's tokens, so the page and its charts
    are one palette with one source.
    """
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    root = re.search(r":root\s*\{(.*?)\}", text, flags=re.S)
    if root is None:
        raise PulseError(f"{path} has no :root block; the charts read their colours from it")
    return {name: value.strip() for name, value in re.findall(r"--([\w-]+)\s*:\s*([^;]+);",
                                                              root.group(1))}


def _token(tokens: dict[str, str], name: str) -> str:
    if name not in tokens:
        raise PulseError(
            f"{STYLESHEET} defines no --{name} in :root; the charts draw with it, so add it "
            "back (the colour tokens are section 2 of the stylesheet)"
        )
    return tokens[name]


_TOKENS = css_tokens()
INK = _token(_TOKENS, "ink")
BRAND = _token(_TOKENS, "brand")
BRAND_LIGHT = _token(_TOKENS, "brand-light")
NEGATIVE = _token(_TOKENS, "bad")
# Axes and grid lines have tokens of their own: the charts' greys were never --muted
# (#616e7c) or --rule (#d9dee3), and a chart is drawn as before.
MUTED = _token(_TOKENS, "chart-axis")
GRID = _token(_TOKENS, "chart-grid")

_RC = {
    "svg.hashsalt": "pulse-report",
    "svg.fonttype": "path",
    "svg.image_inline": True,
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.linewidth": 0.6,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "path.simplify": True,
}
_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_NS = "http://www.w3.org/1999/xlink"
_HREF_ATTRS = ("href", f"{{{_XLINK_NS}}}href")
_URL_REF = re.compile(r"url\(#([^)]+)\)")
ElementTree.register_namespace("", _SVG_NS)
ElementTree.register_namespace("xlink", _XLINK_NS)
_ID_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def _svg(fig: Figure, css_class: str, label: str, chart_id: str | None) -> Markup:
    """Serialise a figure to a bare ``<svg>`` element for inline use.

    matplotlib writes a standalone file; inside an HTML page several of its habits
    get in the way, so the tree is tidied before it is embedded:

    * the XML prolog, DOCTYPE and RDF metadata go (not allowed or not needed);
    * its ``<style>`` element goes: inline in HTML, WeasyPrint would apply that
      ``*`` rule to the whole document; the two properties become attributes;
    * element ids (glyphs, clip paths) repeat from chart to chart, so in one
      document a chart could borrow another's clip path; each gets a prefix;
    * groups that only carry an unused id are unwrapped, which roughly halves the
      elements WeasyPrint has to style and keeps a 15-issue report quick;
    * the fixed width and height go, so CSS decides the printed size.
    """
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    root = ElementTree.fromstring(text[text.index("<svg"):])
    prefix = _ID_SAFE.sub("-", chart_id) if chart_id else (
        "c" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    )
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{_SVG_NS}}}metadata", f"{{{_SVG_NS}}}style"):
                parent.remove(child)
    referenced = set()
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in _HREF_ATTRS and value.startswith("#"):
                referenced.add(value[1:])
            referenced.update(_URL_REF.findall(value))
    _unwrap_plain_groups(root, referenced)
    for element in root.iter():
        for name, value in list(element.attrib.items()):
            if name == "id":
                element.set(name, f"{prefix}-{value}")
            elif name in _HREF_ATTRS and value.startswith("#"):
                element.set(name, f"#{prefix}-{value[1:]}")
            elif "url(#" in value:
                element.set(name, _URL_REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value))
    for name in ("width", "height", "version"):
        root.attrib.pop(name, None)
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    root.set("class", css_class)
    root.set("role", "img")
    root.set("aria-label", label)  # ElementTree escapes attribute values
    return Markup(ElementTree.tostring(root, encoding="unicode"))


def _unwrap_plain_groups(parent: ElementTree.Element, referenced: set[str]) -> None:
    """Replace each ``<g id=...>`` with no other attributes (and no users) by its children."""
    index = 0
    while index < len(parent):
        child = parent[index]
        _unwrap_plain_groups(child, referenced)
        is_plain_group = (
            child.tag == f"{{{_SVG_NS}}}g"
            and set(child.attrib) <= {"id"}
            and child.get("id") not in referenced
            and not (child.text or "").strip()
        )
        if is_plain_group:
            grandchildren = list(child)
            parent.remove(child)
            for offset, grandchild in enumerate(grandchildren):
                parent.insert(index + offset, grandchild)
            index += len(grandchildren)
        else:
            index += 1


def _clean(values: Sequence[float | None]) -> list[float]:
    """None and non-finite numbers become NaN, which matplotlib draws as a gap."""
    cleaned = []
    for value in values:
        if value is None:
            cleaned.append(math.nan)
            continue
        number = float(value)
        cleaned.append(number if math.isfinite(number) else math.nan)
    return cleaned


def _new_figure(width_in: float, height_in: float) -> Figure:
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width_in, height_in))
    fig.patch.set_alpha(0)
    return fig


def sparkline(
    values: Sequence[float | None],
    *,
    color: str = BRAND,
    from_zero: bool = False,
    width_in: float = 1.4,
    height_in: float = 0.32,
    chart_id: str | None = None,
) -> Markup:
    """A 12-week trend line with the latest week marked, or empty Markup if no data.

    Args:
        values: oldest first; None where the week has no value (drawn as a gap).
        color: line colour.
        from_zero: anchor the y axis at 0, right for counts so a small wiggle in a
            large number does not look like a surge.
        width_in: figure width in inches (CSS sets the printed size).
        height_in: figure height in inches.
        chart_id: prefix for the SVG's element ids, unique within the document;
            defaults to a hash of the drawing.

    Returns:
        An ``<svg>`` element, or an empty string when every value is missing, so
        the template can show "no data" instead of an empty box.
    """
    points = _clean(values)
    known = [v for v in points if not math.isnan(v)]
    if not known:
        return Markup("")
    fig = _new_figure(width_in, height_in)
    ax = fig.add_axes((0.02, 0.12, 0.90, 0.76))
    xs = list(range(len(points)))
    ax.plot(xs, points, color=color, linewidth=1.3, solid_capstyle="round")
    last = len(points) - 1
    if not math.isnan(points[last]):
        ax.plot([last], [points[last]], marker="o", markersize=3.2, color=color)
    low, high = (0.0 if from_zero else min(known)), max(known)
    if high == low:
        high = low + (abs(low) or 1.0)
    pad = (high - low) * 0.12
    ax.set_ylim(low - (0 if from_zero else pad), high + pad)
    ax.set_xlim(-0.3, max(last, 1) + 0.3)
    ax.axis("off")
    return _svg(fig, "sparkline", f"12-week trend, {_weeks(len(known))} with data", chart_id)


def issue_trend(
    volumes: Sequence[float | None],
    negative_shares: Sequence[float | None],
    week_labels: Sequence[str],
    *,
    width_in: float = 6.6,
    height_in: float = 2.1,
    chart_id: str | None = None,
) -> Markup:
    """Weekly volume as bars with the share that was negative as a line on its own axis.

    One chart rather than two so a reader sees at a glance whether a rise in
    complaints came with a rise in anger, which is what moves an issue up.
    """
    vols = [0.0 if math.isnan(v) else v for v in _clean(volumes)]
    negs = [v * 100 for v in _clean(negative_shares)]
    if len(negs) < len(vols):
        negs = [math.nan] * (len(vols) - len(negs)) + negs
    labels = list(week_labels)[-len(vols):] if vols else []
    fig = _new_figure(width_in, height_in)
    ax = fig.add_axes((0.05, 0.14, 0.89, 0.80))
    xs = list(range(len(vols)))
    colors = [BRAND_LIGHT] * len(vols)
    if colors:
        colors[-1] = BRAND
    ax.bar(xs, vols, color=colors, width=0.68, zorder=2)
    ax.set_ylim(0, max([*vols, 1.0]) * 1.18)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    ax.yaxis.grid(True, color=GRID, linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    # Every other week, counted back from this one, so the newest bar is always
    # labelled. Fewer labels also means fewer glyphs for WeasyPrint to draw: the
    # axis text, not the data, is most of what a chart costs to render.
    labelled = xs[::-2][::-1]
    ax.set_xticks(labelled)
    ax.set_xticklabels([labels[x] for x in labelled], fontsize=7)
    ax.tick_params(axis="both", length=0, labelsize=7)
    ax.tick_params(axis="y", labelcolor=BRAND)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    share_ax = ax.twinx()
    share_ax.plot(xs, negs, color=NEGATIVE, linewidth=1.5, marker="o", markersize=2.6,
                  linestyle="--", zorder=3)
    share_ax.set_ylim(0, 105)
    share_ax.set_yticks([0, 50, 100])
    share_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}%"))
    share_ax.tick_params(axis="y", length=0, labelsize=7, labelcolor=NEGATIVE)
    for side in ("top", "left"):
        share_ax.spines[side].set_visible(False)
    return _svg(
        fig,
        "trend-chart",
        f"Weekly volume (bars) and share negative (dashed line) over {_weeks(len(vols))}",
        chart_id,
    )


def _weeks(count: int) -> str:
    return f"{count} week" if count == 1 else f"{count} weeks"
