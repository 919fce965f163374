"""A poll's results as a horizontal bar chart (PNG): one bar per option, with count and share.

Pillow only, with its built-in font (`ImageFont.load_default(size=...)`), so no system font is
needed. Option names are the English ones: the chart is for officials and the press.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from nagarik.outbound.polls import Results, option_names
from nagarik.shared.svg_chart import BACKGROUND, BAR, INK, MUTED, TRACK  # one palette for the PNG and the console's SVG

WIDTH = 800
MARGIN = 24
TITLE_SIZE, TEXT_SIZE = 20, 16
TITLE_LINES = 2  # a longer title is cut with an ellipsis, so the height depends only on the options
TITLE_LINE_HEIGHT = 28
HEADER = MARGIN + TITLE_LINES * TITLE_LINE_HEIGHT + 34  # title, then "n answers", then a gap
ROW = 44
BAR_HEIGHT = 26
LABEL_WIDTH = 250
FIGURE_WIDTH = 120  # "1234 (56.7%)" after the bar
BAR_SPACE = WIDTH - 2 * MARGIN - LABEL_WIDTH - FIGURE_WIDTH


def size_for(option_count: int) -> tuple[int, int]:
    """The chart's width and height in pixels for a poll with this many options."""
    return WIDTH, HEADER + option_count * ROW + MARGIN


def bar_length(results: Results, option_key: str) -> int:
    """Bars are scaled to the share of all answers, so a full bar means everyone chose it."""
    return round(BAR_SPACE * results.share(option_key))


def chart_png(results: Results, title: str) -> bytes:
    title_font = ImageFont.load_default(size=TITLE_SIZE)
    font = ImageFont.load_default(size=TEXT_SIZE)
    image = Image.new("RGB", size_for(len(results.options)), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(_wrap(draw, title, title_font, WIDTH - 2 * MARGIN, TITLE_LINES)):
        draw.text((MARGIN, MARGIN + number * TITLE_LINE_HEIGHT), line, font=title_font, fill=INK)
    summary = f"{results.total} answer{'' if results.total == 1 else 's'} ({results.status})"
    draw.text((MARGIN, MARGIN + TITLE_LINES * TITLE_LINE_HEIGHT + 4), summary, font=font, fill=MUTED)
    bar_left = MARGIN + LABEL_WIDTH
    for number, option in enumerate(results.options):
        top = HEADER + number * ROW
        middle = top + BAR_HEIGHT // 2
        label = _fit(draw, option_names(option)["en"], font, LABEL_WIDTH - 12)
        draw.text((MARGIN, middle), label, font=font, fill=INK, anchor="lm")
        draw.rectangle((bar_left, top, bar_left + BAR_SPACE, top + BAR_HEIGHT - 1), fill=TRACK)
        length = bar_length(results, option["key"])
        if length:
            draw.rectangle((bar_left, top, bar_left + length - 1, top + BAR_HEIGHT - 1), fill=BAR)
        figure = f"{results.by_option[option['key']]} ({results.share(option['key']):.1%})"
        draw.text((bar_left + BAR_SPACE + 10, middle), figure, font=font, fill=INK, anchor="lm")
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """The text, cut with an ellipsis where it would be wider than `width`."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int, most: int) -> list[str]:
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < most:
        line = words.pop(0)
        while words and draw.textlength(f"{line} {words[0]}", font=font) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:  # more than fits: the last line ends with an ellipsis
        lines[-1] = _fit(draw, f"{lines[-1]} {' '.join(words)}", font, width)
    return [_fit(draw, line, font, width) for line in lines]
