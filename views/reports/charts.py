"""Trend charts as inline SVG, drawn on the server: they print, go into the PDF and need no
JavaScript. Each chart has a title and a text alternative; the report's trend table holds the
same numbers for anyone who cannot see the bars."""

import math

from markupsafe import Markup, escape

WIDTH, HEIGHT = 440, 190
LEFT, RIGHT, TOP, BOTTOM = 38, 4, 34, 30
INK, GRID, MUTED = "#1f2a37", "#d9dee5", "#64748b"
COLOURS = {"corrective": "#c2410c", "planned": "#0f766e", "main": "#0f766e", "line": "#1d4ed8"}


def nice_ceiling(value):
    """The round number at or above `value` an axis should end at (1, 2, 2.5, 5 x 10^n)."""
    if not value or value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def _number(value, digits=0):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _tick(value):
    """An axis value: whole numbers without decimals, halves with one (12.5), thousands
    as "25k" (the axis has room for four or five characters)."""
    if value >= 10_000:
        return f"{value / 1000:,.0f}k" if value % 1000 == 0 else f"{value / 1000:,.1f}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _frame(title, top, unit, labels, digits):
    """The SVG opening, title, grid with y labels and x labels; returns (parts, x, y, step)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(labels))

    def y(value):
        return TOP + plot_h - (value or 0) / top * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}" '
        'font-family="DejaVu Sans, Arial, sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="13" font-size="12" font-weight="600" fill="{INK}">{escape(title)}</text>',
    ]
    for fraction in (0, 0.5, 1):
        value = top * fraction
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 5}" y="{y(value) + 3.5:.1f}" font-size="10" text-anchor="end" '
            f'fill="{MUTED}">{_tick(value)}{escape(unit)}</text>'
        )
    for index, label in enumerate(labels):
        x = LEFT + step * (index + 0.5)
        first, _, second = label.partition("\n")
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 13}" font-size="10" text-anchor="middle" '
            f'fill="{MUTED}">{escape(first)}</text>'
        )
        if second:
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 25}" font-size="9" '
                f'text-anchor="middle" fill="{MUTED}">{escape(second)}</text>'
            )
    return parts, y, step


def bars(title, labels, series, unit="", digits=0):
    """A bar chart, stacked when `series` has more than one [(name, values, colour key)];
    a legend names the series. None values draw no bar."""
    totals = [sum(v or 0 for v in values) for values in zip(*(s[1] for s in series), strict=True)]
    top = nice_ceiling(max(totals, default=0))
    parts, y, step = _frame(title, top, unit, labels, digits)
    width = min(44, step * 0.62)
    for index, total in enumerate(totals):
        x = LEFT + step * (index + 0.5) - width / 2
        base = 0
        for _name, values, colour in series:
            value = values[index]
            if value:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(base + value):.1f}" width="{width:.1f}" '
                    f'height="{y(base) - y(base + value):.1f}" fill="{COLOURS[colour]}"/>'
                )
                base += value
        if all(values[index] is None for _, values, _ in series):
            continue
        parts.append(
            f'<text x="{x + width / 2:.1f}" y="{y(total) - 4:.1f}" font-size="9.5" '
            f'text-anchor="middle" fill="{INK}">{_number(total, digits)}</text>'
        )
    if len(series) > 1:
        parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(series):
    parts, x = [], WIDTH - RIGHT
    for name, _values, colour in reversed(series):
        x -= 7 * len(name) + 22
        parts.append(
            f'<rect x="{x:.1f}" y="4" width="10" height="10" fill="{COLOURS[colour]}"/>'
            f'<text x="{x + 14:.1f}" y="13" font-size="10.5" fill="{INK}">{escape(name)}</text>'
        )
    return parts


def line(title, labels, values, unit="%", top=None, digits=0):
    """A line with a dot and a label at each point; gaps where a value is None."""
    top = top or nice_ceiling(max((v or 0 for v in values), default=0))
    parts, y, step = _frame(title, top, unit, labels, digits)
    points = [
        None if value is None else (LEFT + step * (index + 0.5), y(value), value)
        for index, value in enumerate(values)
    ]
    run = []
    for point in [*points, None]:  # the lines first, under the dots
        if point is None:
            if len(run) > 1:
                parts.append(_polyline(run))
            run = []
        else:
            run.append(point)
    for x, y_at, value in filter(None, points):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y_at:.1f}" r="3" fill="{COLOURS["line"]}"/>'
            f'<text x="{x:.1f}" y="{y_at - 6:.1f}" font-size="9.5" text-anchor="middle" '
            f'fill="{INK}">{_number(value, digits)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _polyline(points):
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
    return f'<polyline points="{coords}" fill="none" stroke="{COLOURS["line"]}" stroke-width="2"/>'


def period_charts(trend):
    """The period report's charts from its TrendPoints."""
    labels = [p.label for p in trend]
    return [
        bars(
            "Work completed",
            labels,
            [
                ("Corrective", [p.corrective for p in trend], "corrective"),
                ("Planned", [p.planned for p in trend], "planned"),
            ],
        ),
        line("PM compliance", labels, [p.pm_percent for p in trend], top=100),
        bars(
            "Mean time to repair (hours)",
            labels,
            [("MTTR", [p.mttr_hours for p in trend], "main")],
            digits=1,
        ),
        bars(
            "Downtime (hours)",
            labels,
            [("Downtime", [p.downtime_hours for p in trend], "main")],
            digits=1,
        ),
        line("Open work at period end", labels, [p.backlog for p in trend], unit=""),
        line("First-time fix rate", labels, [p.first_time_fix for p in trend], top=100),
    ]
