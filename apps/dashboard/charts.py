"""Charts drawn on the server as SVG: no JavaScript library, readable by screen readers.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>`` (which states the figures in words); a data table stands beside every chart on
the page. Colours come from clinix.css tokens through CSS classes; series are also told
apart by their marker shape, dash pattern and a text legend, never by colour alone.
"""

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 72, 24, 16, 56
MAX_X_LABELS = 7
_ids = itertools.count(1)


def _chart_id(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def nice_max(value: float) -> float:
    """A round top for the value axis, four gridlines apart: each step is 1, 2 or 5 times
    a power of ten (so counts get whole-number ticks)."""
    if value <= 0:
        return 4
    quarter = value / 4
    magnitude = 10 ** math.floor(math.log10(quarter))
    for step in (1, 2, 5, 10):
        if quarter <= step * magnitude:
            return 4 * max(step * magnitude, 1)
    return 40 * magnitude


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value:,.0f}"


def _frame(chart_id: str, title: str, desc: str, body: SafeString, css: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
        'preserveAspectRatio="xMidYMid meet" focusable="false">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        css,
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        body,
    )


def _value_axis(top: float, label: str, format_value: Callable[[float], str]) -> SafeString:
    plot_h = HEIGHT - TOP - BOTTOM
    lines = []
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        lines.append(
            format_html(
                '<line class="chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="chart__tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y:.1f}",
                f"{y:.1f}",
                LEFT - 6,
                f"{y + 4:.1f}",
                format_value(value),
            )
        )
    axis_label = format_html(
        '<text class="chart__axis-label" x="12" y="{}" transform="rotate(-90 12 {})" '
        'text-anchor="middle">{}</text>',
        TOP + plot_h / 2,
        TOP + plot_h / 2,
        label,
    )
    return mark_safe("".join(lines) + axis_label)  # noqa: S308 (parts escaped above)


def _x_labels(labels: Sequence[str], centre: Callable[[int], float]) -> SafeString:
    every = max(1, -(-len(labels) // MAX_X_LABELS))  # ceiling division
    return format_html_join(
        "",
        '<text class="chart__tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (f"{centre(i):.1f}", HEIGHT - BOTTOM + 22, label)
            for i, label in enumerate(labels)
            if i % every == 0
        ),
    )


def column_chart(
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float],
    value_label: str,
    format_value: Callable[[float], str] = _fmt,
) -> SafeString:
    """Vertical columns, one per label (periods, bands). Each column carries its own
    tooltip title with label and value."""
    chart_id = _chart_id("col")
    top = nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(values), 1)
    bar_w = max(slot * 0.7, 1)
    bars = format_html_join(
        "",
        '<rect class="chart__bar" x="{}" y="{}" width="{}" height="{}">'
        "<title>{}: {}</title></rect>",
        (
            (
                f"{LEFT + slot * i + (slot - bar_w) / 2:.1f}",
                f"{TOP + plot_h - plot_h * value / top:.1f}",
                f"{bar_w:.1f}",
                f"{plot_h * value / top:.1f}",
                label,
                format_value(value),
            )
            for i, (label, value) in enumerate(zip(labels, values, strict=True))
        ),
    )
    body = mark_safe(  # noqa: S308 (each part built with format_html)
        _value_axis(top, value_label, format_value)
        + bars
        + _x_labels(labels, lambda i: LEFT + slot * i + slot / 2)
        + format_html(
            '<line class="chart__axis" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            LEFT,
            WIDTH - RIGHT,
            TOP + plot_h,
            TOP + plot_h,
        )
    )
    return _frame(chart_id, title, desc, body, "chart--columns")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


_MARKERS = ("circle", "square", "triangle")
_DASHES = ("", "6 4", "2 3")


def _marker(shape: str, x: float, y: float, tip: str) -> SafeString:
    if shape == "square":
        return format_html(
            '<rect class="chart__marker" x="{}" y="{}" width="8" height="8">'
            "<title>{}</title></rect>",
            f"{x - 4:.1f}",
            f"{y - 4:.1f}",
            tip,
        )
    if shape == "triangle":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return format_html(
            '<polygon class="chart__marker" points="{}"><title>{}</title></polygon>', points, tip
        )
    return format_html(
        '<circle class="chart__marker" cx="{}" cy="{}" r="4"><title>{}</title></circle>',
        f"{x:.1f}",
        f"{y:.1f}",
        tip,
    )


def line_chart(
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    value_label: str,
    format_value: Callable[[float], str] = _fmt,
    top: float | None = None,
) -> SafeString:
    """One line per series over the labels (periods). Missing values (None) break the
    line. Series differ in marker shape and dash pattern, named in a legend."""
    chart_id = _chart_id("line")
    every_value = [float(v) for s in series for v in s.values if v is not None]
    top = top or nice_max(max(every_value, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def x_of(i: int) -> float:
        return LEFT + (step * i if len(labels) > 1 else plot_w / 2)

    parts = [_value_axis(top, value_label, format_value)]
    for index, one in enumerate(series):
        css = f"chart__line chart__line--{index % 3}"
        points = []
        for i, value in enumerate(one.values):
            if value is None:
                continue
            value = float(value)
            y = TOP + plot_h - plot_h * min(value, top) / top
            points.append((x_of(i), y, f"{one.name}, {labels[i]}: {format_value(value)}"))
        if len(points) > 1:
            parts.append(
                format_html(
                    '<polyline class="{}" fill="none" stroke-dasharray="{}" points="{}"/>',
                    css,
                    _DASHES[index % 3],
                    " ".join(f"{x:.1f},{y:.1f}" for x, y, _t in points),
                )
            )
        shape = _MARKERS[index % 3]
        parts.append(
            format_html(
                '<g class="{}">{}</g>',
                css,
                mark_safe("".join(_marker(shape, x, y, tip) for x, y, tip in points)),  # noqa: S308
            )
        )
        legend_x = LEFT + index * 170
        parts.append(
            format_html(
                '<g class="{}"><line x1="{}" x2="{}" y1="{}" y2="{}" stroke-dasharray="{}"/>{}'
                '<text class="chart__legend" x="{}" y="{}">{}</text></g>',
                css,
                legend_x,
                legend_x + 24,
                HEIGHT - 10,
                HEIGHT - 10,
                _DASHES[index % 3],
                _marker(shape, legend_x + 12, HEIGHT - 10, one.name),
                legend_x + 30,
                HEIGHT - 6,
                one.name,
            )
        )
    parts.append(_x_labels(labels, x_of))
    parts.append(
        format_html(
            '<line class="chart__axis" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            LEFT,
            WIDTH - RIGHT,
            TOP + plot_h,
            TOP + plot_h,
        )
    )
    body = mark_safe("".join(parts))  # noqa: S308 (each part built with format_html)
    return _frame(chart_id, title, desc, body, "chart--lines")


def bar_chart(
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float],
    format_value: Callable[[float], str] = _fmt,
    top: float | None = None,
) -> SafeString:
    """Horizontal bars for ranked lists (services, doctors, utilisation): the label on the
    left, the value written at the end of each bar."""
    chart_id = _chart_id("bar")
    row_h, label_w, value_w = 28, 200, 64
    height = max(len(values), 1) * row_h + 8
    top = top or nice_max(max(values, default=0))
    plot_w = WIDTH - label_w - value_w
    rows = format_html_join(
        "",
        '<text class="chart__tick" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="chart__bar" x="{}" y="{}" width="{}" height="18"><title>{}: {}</title></rect>'
        '<text class="chart__value" x="{}" y="{}">{}</text>',
        (
            (
                label_w - 8,
                row_h * i + 18,
                _truncate(label),
                label_w,
                row_h * i + 5,
                f"{plot_w * min(value, top) / top:.1f}",
                label,
                format_value(value),
                f"{label_w + plot_w * min(value, top) / top + 6:.1f}",
                row_h * i + 18,
                format_value(value),
            )
            for i, (label, value) in enumerate(zip(labels, values, strict=True))
        ),
    )
    return format_html(
        '<svg class="chart chart--bars" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
        'focusable="false"><title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        desc,
        rows,
    )


def _truncate(label: str, length: int = 28) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"
