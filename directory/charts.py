"""Charts of the statistics page, drawn on the server as SVG: no script, no library, nothing from
another site, and they print.

Each chart is an image with a text alternative (`role="img"`, a <title> and a <desc> that sums
the figure up); the table beside it is the full accessible version. Every label and value is
escaped (`format_html`), since region, activity and channel names are edited in the admin.
Colours are SVG presentation attributes (the CSP forbids style attributes): bars contrast 3:1 or
more with the page (WCAG 1.4.11), text 4.5:1 or more with what it sits on (WCAG 1.4.3); the
grid's shades carry no meaning of their own, since each cell also shows its number.

The words are in the reader's language: a chart is drawn for the page that shows it (the page's
fragment cache is kept per language), from a figure whose words are lazy.
"""

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from .statistics import Figure

BACKGROUND = "#ffffff"
INK = "#1d2329"
BAR = "#005a8c"
GRID_LINE = "#505a64"
# Light to dark; a cell's shade says how large its number is beside the largest.
SHADES = ("#ffffff", "#dcebf5", "#a9cde6", "#5b9bc8", "#1f6fa6", "#003f63")
WHITE = "#ffffff"

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
FONT_SIZE = 14

# Horizontal bars: each row is its label on a line, then the bar with its number after it, so
# long labels are never cut.
BAR_WIDTH = 640
BAR_ROW = 44
BAR_HEIGHT = 16
VALUE_ROOM = 64

# The grid: a row per activity, a column per sector, labelled at a slant above.
GRID_LABELS = 380
GRID_CELL_WIDTH = 56
GRID_CELL_HEIGHT = 26
GRID_HEADER = 200
GRID_OVERHANG = 180


def _luminance(colour):
    def channel(hex_pair):
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first, second):
    """The WCAG contrast ratio of two "#rrggbb" colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(fill):
    """Ink or white, whichever reads better on `fill`."""
    return INK if contrast(INK, fill) >= contrast(WHITE, fill) else WHITE


def shade(value, largest):
    """The grid shade for `value`: white for nothing, then darker as it nears `largest`."""
    if value <= 0 or largest <= 0:
        return SHADES[0]
    steps = len(SHADES) - 1
    return SHADES[1 + min(steps - 1, (value * steps - 1) // largest)]


def _ids(figure):
    return f"chart-{figure.slug}-title", f"chart-{figure.slug}-desc"


def in_sentence(label):
    """A heading as it reads inside a sentence: "Public library" becomes "public library", but
    a label that starts with an abbreviation ("NHS trust", "GIG") keeps its capitals."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def describe(figure):
    """A sentence or two that sums `figure` up, for its <desc>: the total and the largest."""
    title = str(figure.title)
    if figure.is_empty:
        return gettext("%(title)s: none for this search; every value is 0.") % {"title": title}
    labels = figure.labels
    if figure.kind == "grid":
        cells = [
            (
                value,
                gettext("%(row)s with a member from %(column)s")
                % {"row": row[0], "column": in_sentence(heading)},
            )
            for row in figure.rows
            for heading, value in zip(labels[1:], row[1:], strict=True)
        ]
    else:
        cells = [(row[1], row[0]) for row in figure.rows]
    largest = sorted((cell for cell in cells if cell[0]), key=lambda cell: -cell[0])[:3]
    parts = "; ".join(
        gettext("%(label)s: %(value)s") % {"label": label, "value": f"{value:,}"}
        for value, label in largest
    )
    if figure.kind == "grid":
        return gettext(
            "%(title)s. The largest numbers of partnerships: %(largest)s. The table has every cell."
        ) % {"title": title, "largest": parts}
    return gettext(
        "%(title)s. %(total)s %(unit)s in all. The most: %(largest)s. The table has every value."
    ) % {
        "title": title,
        "total": f"{figure.total:,}",
        "unit": in_sentence(labels[-1]),
        "largest": parts,
    }


def _svg(figure, width, height, body):
    title_id, desc_id = _ids(figure)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{}" viewBox="0 0 {} {}" '
        'role="img" aria-labelledby="{} {}" font-family="{}" font-size="{}">'
        '<title id="{}">{}</title><desc id="{}">{}</desc>'
        '<rect width="{}" height="{}" fill="{}"/>{}</svg>',
        figure.kind,
        width,
        height,
        title_id,
        desc_id,
        FONT,
        FONT_SIZE,
        title_id,
        figure.title,
        desc_id,
        describe(figure),
        width,
        height,
        BACKGROUND,
        body,
    )


def bar_chart(figure: Figure):
    """Horizontal bars, one a row, each with its label above and its number after it."""
    largest = max((row[1] for row in figure.rows), default=0) or 1
    room = BAR_WIDTH - VALUE_ROOM

    def row(index, label, value):
        top = index * BAR_ROW
        length = round(room * value / largest, 1)
        return format_html(
            '<g class="chart-row"><text x="0" y="{}" fill="{}">{}</text>'
            '<rect x="0" y="{}" width="{}" height="{}" fill="{}"/>'
            '<text x="{}" y="{}" fill="{}" font-weight="700">{}</text></g>',
            top + 16,
            INK,
            label,
            top + 22,
            length,
            BAR_HEIGHT,
            BAR,
            length + 6,
            top + 35,
            INK,
            f"{value:,}",
        )

    body = format_html_join(
        "", "{}", ((row(i, label, value),) for i, (label, value) in enumerate(figure.rows))
    )
    return _svg(figure, BAR_WIDTH, len(figure.rows) * BAR_ROW + 4, body)


def grid_chart(figure: Figure):
    """A shaded grid: a row per first-column label, a column per further heading, each cell
    shaded by its number and showing it."""
    columns = figure.labels[1:]
    largest = max((value for row in figure.rows for value in row[1:]), default=0)
    width = GRID_LABELS + len(columns) * GRID_CELL_WIDTH + GRID_OVERHANG
    height = GRID_HEADER + len(figure.rows) * GRID_CELL_HEIGHT + 4

    def heading(index, label):
        x = GRID_LABELS + index * GRID_CELL_WIDTH + GRID_CELL_WIDTH / 2
        y = GRID_HEADER - 8
        return format_html(
            '<text x="{}" y="{}" fill="{}" transform="rotate(-45 {} {})">{}</text>',
            x,
            y,
            INK,
            x,
            y,
            label,
        )

    def cell(row_index, column_index, value):
        x = GRID_LABELS + column_index * GRID_CELL_WIDTH
        y = GRID_HEADER + row_index * GRID_CELL_HEIGHT
        fill = shade(value, largest)
        return format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" '
            'stroke-width="0.5"/><text x="{}" y="{}" fill="{}" text-anchor="middle">{}</text>',
            x,
            y,
            GRID_CELL_WIDTH,
            GRID_CELL_HEIGHT,
            fill,
            GRID_LINE,
            x + GRID_CELL_WIDTH / 2,
            y + 18,
            text_colour_on(fill),
            f"{value:,}",
        )

    def row(index, label, values):
        y = GRID_HEADER + index * GRID_CELL_HEIGHT + 18
        cells = format_html_join(
            "", "{}", ((cell(index, column, value),) for column, value in enumerate(values))
        )
        return format_html(
            '<g class="chart-row"><text x="{}" y="{}" fill="{}" text-anchor="end">{}</text>{}</g>',
            GRID_LABELS - 8,
            y,
            INK,
            label,
            cells,
        )

    body = format_html(
        "{}{}",
        format_html_join("", "{}", ((heading(i, label),) for i, label in enumerate(columns))),
        format_html_join(
            "", "{}", ((row(i, values[0], values[1:]),) for i, values in enumerate(figure.rows))
        ),
    )
    return _svg(figure, width, height, body)


def chart(figure: Figure):
    """The SVG for `figure`, as safe HTML to put in a page."""
    return grid_chart(figure) if figure.kind == "grid" else bar_chart(figure)
