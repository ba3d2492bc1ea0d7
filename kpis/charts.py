"""Small server-side SVG charts for the admin reports: no JavaScript, no chart library, no CDN.

Each chart is inline SVG with ``role="img"``, a ``<title>`` and a ``<desc>`` (read by screen
readers), a legend and axis labels; the page shows the same figures in a table beside it (the
fallback). Every text is escaped (``format_html``); a missing value (``None``) breaks a line and
draws no bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

#: How chart texts look, as presentation attributes (the Content-Security-Policy allows no inline style).
_TEXT = ' font-size="11" font-family="sans-serif" fill="currentColor"'
WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 58
#: Colours that stay apart for the common colour-vision deficiencies (Okabe–Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
MAX_LABELS = 16
_ids = count(1)

Series = tuple[str, Sequence[float | None]]


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.2g}"


def _scale(series: Sequence[Series], y_max: float | None) -> float:
    highest = max((v for _name, values in series for v in values if v is not None), default=0)
    top = y_max if y_max is not None else highest
    return top if top > 0 else 1


def _frame(
    title: str, desc: str, labels: Sequence[str], series: Sequence[Series], top: float, y_format: Callable, body: str
) -> SafeString:
    ident = f"chart-{next(_ids)}"
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    grid = []
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        grid.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid" stroke="#ccc" stroke-width="1"/>'
                '<text x="{}" y="{}" text-anchor="end" class="axis"' + _TEXT + ">{}</text>",
                LEFT,
                f"{y:.1f}",
                WIDTH - RIGHT,
                f"{y:.1f}",
                LEFT - 6,
                f"{y + 4:.1f}",
                y_format(value),
            )
        )
    every = max(1, -(-len(labels) // MAX_LABELS))
    slot = plot_w / max(len(labels), 1)
    ticks = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" transform="rotate(-40 {} {})" class="axis"' + _TEXT + ">{}</text>",
        (
            (f"{x:.1f}", HEIGHT - BOTTOM + 14, f"{x:.1f}", HEIGHT - BOTTOM + 14, label)
            for i, label in enumerate(labels)
            if i % every == 0
            for x in [LEFT + slot * (i + 0.5)]
        ),
    )
    legend = format_html_join(
        "",
        '<rect x="{}" y="6" width="10" height="10" fill="{}"/><text x="{}" y="15" class="legend"'
        + _TEXT
        + ">{}</text>",
        ((LEFT + 170 * i, PALETTE[i % len(PALETTE)], LEFT + 170 * i + 14, name) for i, (name, _v) in enumerate(series)),
    )
    return format_html(
        '<svg class="kpi-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-t">{}</title><desc id="{}-d">{}</desc>'
        "{}{}{}{}</svg>",
        WIDTH,
        HEIGHT,
        ident,
        ident,
        ident,
        title,
        ident,
        desc,
        mark_safe("".join(grid)),  # noqa: S308 - built by format_html above
        body,
        ticks,
        legend,
    )


def line_chart(
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    y_max: float | None = None,
    y_format: Callable[[float], str] = _number,
) -> SafeString:
    """One line per series over ``labels`` (a point per label), from 0 to ``y_max`` (default:
    the highest value)."""
    top = _scale(series, y_max)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    paths = []
    for index, (_name, values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        command, points = "M", []
        for i, value in enumerate(values):
            if value is None:
                command = "M"
                continue
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * min(value, top) / top
            points.append(f"{command}{x:.1f},{y:.1f}")
            command = "L"
        paths.append(
            format_html('<path d="{}" fill="none" stroke="{}" stroke-width="2"/>', " ".join(points), colour)
            if points
            else ""
        )
    return _frame(title, desc, labels, series, top, y_format, mark_safe("".join(paths)))  # noqa: S308


def bar_chart(
    *,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    y_max: float | None = None,
    y_format: Callable[[float], str] = _number,
) -> SafeString:
    """Grouped bars: for each label, one bar per series."""
    top = _scale(series, y_max)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    width = slot * 0.8 / max(len(series), 1)
    bars = []
    for index, (_name, values) in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        for i, value in enumerate(values):
            if value is None:
                continue
            height = plot_h * min(max(value, 0), top) / top
            bars.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>',
                    f"{LEFT + slot * (i + 0.1) + width * index:.1f}",
                    f"{TOP + plot_h - height:.1f}",
                    f"{width:.1f}",
                    f"{height:.1f}",
                    colour,
                    labels[i],
                    y_format(value),
                )
            )
    return _frame(title, desc, labels, series, top, y_format, mark_safe("".join(bars)))  # noqa: S308
