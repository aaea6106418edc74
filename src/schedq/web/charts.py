"""Charts drawn on the server as SVG text the pages insert inline (README: "Reports").

Four shapes, each titled, with axis labels in the caller's words (so in the
page's language): a line chart against a target line (`line_chart`), counts as
bars with an optional step line of stations on a second scale (`bar_chart`), a
step chart of one or more series (`step_chart`), and one bar a day against a target
(`day_chart`, bars that miss the target hatched, so colour is not the only
sign). Drawn with matplotlib's object API (`Figure`, never pyplot: no global
figure state between requests), imported only when a chart is asked for.

The SVG that comes out is fit for a page under a strict Content-Security-Policy
(`style-src 'self'`, which blocks `style` attributes and `<style>` elements in
markup): every style becomes a presentation attribute, ids are prefixed with
the chart's name so several charts share a page, text stays text
(`svg.fonttype: none`), and the root has no fixed size (only a `viewBox`, so it
scales), `role="img"`, a `<title>` and a `<desc>` holding the text alternative.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

# Colours at least 4.5:1 against white, told apart by shape too (dashes, markers, hatching).
INK = "#1a1a1a"
GRID = "#d0d0d0"
BLUE = "#1f4e79"
ORANGE = "#8a4500"
TARGET = "#a4262c"
BAR = "#3d6e99"
MISS = "#ffffff"

FONT_FAMILY = ["system-ui", "Segoe UI", "Helvetica", "Arial", "DejaVu Sans", "sans-serif"]
WIDTH_INCHES, HEIGHT_INCHES = 8.0, 4.0
MAX_TICKS = 13

_render_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class ChartText:
    """The words of a chart, in the page's language."""

    title: str
    x_label: str
    y_label: str
    description: str  # the text alternative: what the chart shows, in a sentence or two
    empty: str = ""  # said in the middle when there is nothing to draw


@dataclass(frozen=True, slots=True)
class Series:
    """One line or set of bars: its legend label and a value (None: no value) per x label."""

    label: str
    values: Sequence[float | None]


def line_chart(
    name: str,
    text: ChartText,
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    target: float | None = None,
    target_label: str = "",
    y_min: float = 0.0,
    y_max: float | None = None,
) -> str:
    """Lines through the x labels (one per series), with a dashed horizontal target line when given."""

    def draw(axes) -> bool:
        styles = [("-", "o"), ("--", "s"), (":", "^")]
        positions = list(range(len(x_labels)))
        drawn = False
        for index, one in enumerate(series):
            xs = [x for x, v in zip(positions, one.values, strict=True) if v is not None]
            ys = [v for v in one.values if v is not None]
            if not ys:
                continue
            drawn = True
            line, marker = styles[index % len(styles)]
            axes.plot(
                xs,
                ys,
                linestyle=line,
                marker=marker,
                markersize=4,
                linewidth=2,
                color=(BLUE, ORANGE, INK)[index % 3],
                label=one.label,
            )
        if target is not None:
            axes.axhline(target, color=TARGET, linestyle=(0, (6, 3)), linewidth=1.5, label=target_label)
        axes.set_ylim(bottom=y_min, top=y_max)
        _x_ticks(axes, x_labels)
        return drawn

    return _render(name, text, draw)


def bar_chart(
    name: str,
    text: ChartText,
    x_labels: Sequence[str],
    bars: Series,
    *,
    steps: Series | None = None,
    steps_label: str = "",
) -> str:
    """Bars of counts per x label (e.g. arrivals by half hour), with a step line on a second scale when given."""

    def draw(axes) -> bool:
        positions = list(range(len(x_labels)))
        heights = [v or 0.0 for v in bars.values]
        axes.bar(positions, heights, color=BAR, width=0.8, label=bars.label)
        drawn = any(heights)
        if steps is not None and any(v for v in steps.values if v is not None):
            second = axes.twinx()
            second.step(
                positions,
                [v or 0.0 for v in steps.values],
                where="mid",
                color=ORANGE,
                linewidth=2.5,
                label=steps.label,
            )
            second.set_ylabel(steps_label, color=INK)
            second.set_ylim(bottom=0)
            second.yaxis.get_major_locator().set_params(integer=True)
            drawn = True
        _x_ticks(axes, x_labels)
        return drawn

    return _render(name, text, draw)


def step_chart(name: str, text: ChartText, x_labels: Sequence[str], series: Series | Sequence[Series]) -> str:
    """Step lines per x label (e.g. stations by half hour, now and advised): counts that hold for a whole interval.

    Several series are told apart by line style as well as colour (solid, dashed, dotted)."""
    lines = [series] if isinstance(series, Series) else list(series)

    def draw(axes) -> bool:
        positions = list(range(len(x_labels)))
        drawn = False
        for index, one in enumerate(lines):
            values = [v or 0.0 for v in one.values]
            axes.step(
                positions,
                values,
                where="mid",
                color=(ORANGE, BLUE, INK)[index % 3],
                linestyle=("-", "--", ":")[index % 3],
                linewidth=2.5,
                label=one.label,
            )
            drawn = drawn or any(values)
        axes.set_ylim(bottom=0)
        axes.yaxis.get_major_locator().set_params(integer=True)
        _x_ticks(axes, x_labels)
        return drawn

    return _render(name, text, draw)


def day_chart(
    name: str,
    text: ChartText,
    days: Sequence[str],
    values: Sequence[float | None],
    *,
    target: float,
    label: str,
    target_label: str,
    missed_label: str,
    y_max: float | None = None,
) -> str:
    """One bar a day against a target line; a day below the target is an outlined, hatched bar."""

    def draw(axes) -> bool:
        met_x: list[int] = []
        met_y: list[float] = []
        missed_x: list[int] = []
        missed_y: list[float] = []
        for x, value in enumerate(values):
            if value is None:
                continue
            (met_x if value >= target else missed_x).append(x)
            (met_y if value >= target else missed_y).append(value)
        if met_x:
            axes.bar(met_x, met_y, color=BAR, width=0.7, label=label)
        if missed_x:
            axes.bar(
                missed_x,
                missed_y,
                color=MISS,
                edgecolor=TARGET,
                hatch="///",
                linewidth=1.5,
                width=0.7,
                label=missed_label,
            )
        axes.axhline(target, color=TARGET, linestyle=(0, (6, 3)), linewidth=1.5, label=target_label)
        axes.set_ylim(0, y_max)
        _x_ticks(axes, days)
        return bool(met_x or missed_x)

    return _render(name, text, draw)


# Drawing ------------------------------------------------------------------------------


def _x_ticks(axes, labels: Sequence[str]) -> None:
    """At most `MAX_TICKS` labels along x, evenly spaced, so they never overlap."""
    count = len(labels)
    axes.set_xlim(-0.6, max(count - 0.4, 0.6))
    step = max(1, -(-count // MAX_TICKS))
    shown = list(range(0, count, step))
    axes.set_xticks(shown, [labels[i] for i in shown])


def _render(name: str, text: ChartText, draw) -> str:
    from matplotlib import rc_context
    from matplotlib.figure import Figure

    settings: dict[str, Any] = {
        "svg.fonttype": "none",
        "svg.hashsalt": name,
        "font.family": "sans-serif",
        "font.sans-serif": FONT_FAMILY,
        "font.size": 10,
        "text.color": INK,
        "axes.labelcolor": INK,
        "axes.edgecolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "hatch.color": TARGET,
        "hatch.linewidth": 1.0,
    }
    with _render_lock, rc_context(settings):  # type: ignore[arg-type]
        figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), layout="constrained")
        axes = figure.add_subplot()
        axes.set_title(text.title, loc="left", fontsize=12, fontweight="bold")
        axes.set_xlabel(text.x_label)
        axes.set_ylabel(text.y_label)
        axes.grid(axis="y", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        drawn = draw(axes)
        if not drawn and text.empty:
            axes.text(0.5, 0.5, text.empty, transform=axes.transAxes, ha="center", va="center", fontsize=12)
        # One legend under the plot, for every scale (bars and their step line share it), clear of the data.
        handles, labels = [], []
        for each in figure.axes:
            more_handles, more_labels = each.get_legend_handles_labels()
            handles += more_handles
            labels += more_labels
        if drawn and handles:
            figure.legend(
                handles, labels, loc="outside lower center", ncols=min(len(handles), 4), frameon=False
            )
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return accessible_svg(buffer.getvalue(), name=name, title=text.title, description=text.description)


# Making the SVG fit for the page -------------------------------------------------------

# CSS properties matplotlib writes that SVG also takes as presentation attributes.
_PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-dasharray",
        "stroke-dashoffset",
        "opacity",
        "clip-path",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "text-anchor",
        "dominant-baseline",
    }
)
_URL_REF = re.compile(r"url\(#([^)]+)\)")


def accessible_svg(svg: str, *, name: str, title: str, description: str) -> str:
    """`svg` with styles as attributes, ids prefixed by `name`, no fixed size, role img, title and desc."""
    ElementTree.register_namespace("", SVG_NS)
    ElementTree.register_namespace("xlink", XLINK_NS)
    root = ElementTree.fromstring(svg)
    prefix = re.sub(r"[^A-Za-z0-9-]", "-", name)
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag in (f"{{{SVG_NS}}}style", f"{{{SVG_NS}}}metadata", f"{{{SVG_NS}}}title"):
                parent.remove(child)
    for element in root.iter():
        style = element.attrib.pop("style", None)
        if style:
            for prop, value in _declarations(style):
                element.set(prop, value)
        if "id" in element.attrib:
            element.set("id", f"{prefix}-{element.get('id')}")
        for attribute, value in list(element.attrib.items()):
            if "url(#" in value:
                element.set(attribute, _URL_REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value))
            elif attribute in (f"{{{XLINK_NS}}}href", "href") and value.startswith("#"):
                element.set(attribute, f"#{prefix}-{value[1:]}")
    for size in ("width", "height"):
        root.attrib.pop(size, None)
    # What matplotlib's <style> said, kept as attributes.
    root.set("stroke-linejoin", "round")
    root.set("stroke-linecap", "butt")
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}-title {prefix}-desc")
    root.set("class", "chart")
    root.set("preserveAspectRatio", "xMidYMid meet")
    title_element = ElementTree.Element(f"{{{SVG_NS}}}title", {"id": f"{prefix}-title"})
    title_element.text = title
    desc_element = ElementTree.Element(f"{{{SVG_NS}}}desc", {"id": f"{prefix}-desc"})
    desc_element.text = description
    root.insert(0, desc_element)
    root.insert(0, title_element)
    return ElementTree.tostring(root, encoding="unicode")


def _declarations(style: str) -> list[tuple[str, str]]:
    """The `style` attribute's declarations as presentation attributes (the `font` shorthand spelt out)."""
    found = []
    for declaration in style.split(";"):
        prop, _, value = declaration.partition(":")
        prop, value = prop.strip(), value.strip()
        if not prop or not value:
            continue
        if prop == "font":
            found.extend(_font_shorthand(value))
        elif prop in _PRESENTATION:
            found.append((prop, value))
    return found


_FONT = re.compile(
    r"^(?:(?P<style>italic|oblique|normal)\s+)?(?:(?P<weight>bold|normal|\d{3})\s+)?"
    r"(?P<size>[\d.]+(?:px|pt))\s+(?P<family>.+)$"
)


def _font_shorthand(value: str) -> list[tuple[str, str]]:
    match = _FONT.match(value)
    if match is None:
        return []
    found = [("font-size", match["size"]), ("font-family", match["family"])]
    if match["style"]:
        found.append(("font-style", match["style"]))
    if match["weight"]:
        found.append(("font-weight", match["weight"]))
    return found
