"""Charts as SVG text, drawn on the server: columns (a figure per day) and horizontal bars (a
share per item, as the poll chart draws them). Standard library only; the palette is the poll
chart's (nagarik.outbound.poll_chart), so the console's charts and the press's PNG look alike.

Every piece of text is XML-escaped here, so a caller may mark the result safe to embed. No script,
no external font (the system's sans-serif), no link: it can be inlined under the console's CSP.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

BACKGROUND, INK, MUTED, BAR, TRACK = "#ffffff", "#1f2933", "#616e7c", "#2f6fb0", "#e4e7eb"
FONT = "system-ui, sans-serif"

COLUMNS_WIDTH, COLUMNS_HEIGHT = 720, 220
COLUMNS_LEFT, COLUMNS_TOP, COLUMNS_BOTTOM = 40, 28, 30  # room for the top figure, the title, the day labels
BARS_WIDTH, BAR_ROW, BAR_HEIGHT = 720, 30, 20
BARS_LABEL, BARS_FIGURE, BARS_TOP = 200, 120, 30


def _open(width: int, height: int, title: str) -> list[str]:
    # width 100% with a viewBox: the chart shrinks on a phone-sized screen instead of overflowing
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img"'
        f' font-family="{FONT}" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="{BACKGROUND}"/>',
        f'<text x="8" y="18" fill="{INK}" font-weight="bold">{escape(title)}</text>',
    ]


def _text(x: float, y: float, text: str, fill: str = INK, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" fill="{fill}" text-anchor="{anchor}">{escape(text)}</text>'


def columns(points: Sequence[tuple[str, int]], title: str, label_every: int | None = None) -> str:
    """One column per point (label, figure), scaled to the largest; every `label_every`-th label
    is written under its column (by default about ten of them), each figure in its tooltip."""
    lines = _open(COLUMNS_WIDTH, COLUMNS_HEIGHT, title)
    plot_width = COLUMNS_WIDTH - COLUMNS_LEFT - 8
    plot_height = COLUMNS_HEIGHT - COLUMNS_TOP - COLUMNS_BOTTOM
    baseline = COLUMNS_TOP + plot_height
    highest = max((value for _, value in points), default=0)
    lines.append(_text(COLUMNS_LEFT - 4, COLUMNS_TOP + 10, str(highest), MUTED, "end"))
    lines.append(_text(COLUMNS_LEFT - 4, baseline, "0", MUTED, "end"))
    lines.append(f'<line x1="{COLUMNS_LEFT}" y1="{baseline}" x2="{COLUMNS_WIDTH - 8}" y2="{baseline}" stroke="{TRACK}"/>')
    if points:
        step = plot_width / len(points)
        every = label_every or max(1, round(len(points) / 10))
        for number, (label, value) in enumerate(points):
            height = plot_height * value / highest if highest else 0
            x = COLUMNS_LEFT + number * step
            lines.append(
                f'<rect x="{x + step * 0.1:.1f}" y="{baseline - height:.1f}" width="{step * 0.8:.1f}" height="{height:.1f}"'
                f' fill="{BAR}"><title>{escape(f"{label}: {value}")}</title></rect>'
            )
            if number % every == 0:
                lines.append(_text(x + step / 2, baseline + 18, label, MUTED, "middle"))
    lines.append("</svg>")
    return "\n".join(lines)


def bars(rows: Sequence[tuple[str, float, str]], title: str) -> str:
    """One horizontal bar per row (label, share from 0 to 1, figure text), on a full-width track:
    a full bar means all of it, as in the poll chart."""
    height = BARS_TOP + len(rows) * BAR_ROW + 8
    lines = _open(BARS_WIDTH, height, title)
    left = 8 + BARS_LABEL
    space = BARS_WIDTH - left - BARS_FIGURE
    for number, (label, share, figure) in enumerate(rows):
        top = BARS_TOP + number * BAR_ROW
        middle = top + BAR_HEIGHT / 2 + 4
        length = space * min(max(share, 0.0), 1.0)
        lines.append(_text(8, middle, _cut(label, 28)))
        lines.append(f'<rect x="{left}" y="{top}" width="{space}" height="{BAR_HEIGHT}" fill="{TRACK}"/>')
        if length:
            lines.append(
                f'<rect x="{left}" y="{top}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{BAR}">'
                f"<title>{escape(f'{label}: {figure}')}</title></rect>"
            )
        lines.append(_text(left + space + 8, middle, figure))
    lines.append("</svg>")
    return "\n".join(lines)


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"
