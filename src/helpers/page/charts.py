"""The measures' charts, in the house style (``helpers.chart_style``), each with alt text
written from its own data.

A chart has labelled axes with units, its series named at the line ends, a dashed target line
where the plan sets a target, dated annotations, and gaps where data is missing; its title is the
heading above it. Charts are drawn only from privacy-gated tables, so a hidden value can never
appear in a chart, its label or its alt text.
"""

from __future__ import annotations

import itertools
import textwrap
from datetime import date
from typing import Any

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..core.language import Language
from ..params.measure import Measure
from .alt_text import alt_text, statuses
from .chart_style import (
    FULL_SIZE,
    GRID,
    LIGHT_BAR,
    MUTED,
    PALETTE,
    TEXT,
    Chart,
    encode,
    figure,
    styled,
)
from .narrative import fmt_value, is_missing, latest_rows


def _grain_axis(grain: str, lang: Language) -> str:
    return {
        "month": lang._("Month"),
        "quarter": lang._("Fiscal quarter (July-June fiscal year)"),
        "calendar_year": lang._("Calendar year"),
        "fiscal_year": lang._("Fiscal year"),
        "rolling_12_months": lang._("12 months ending"),
    }.get(grain, "")


def value_axis(ax: Axes, measure: Measure, lang: Language) -> None:
    if measure.unit == "percent":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: lang.percent(v, 0)))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: lang.number(v, 0)))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=measure.unit != "percent"))
    ax.set_ylabel(wrap(measure.value_label, 24))
    ax.set_ylim(bottom=0)


def wrap(text: str, width: int) -> str:
    """Break long titles and axis labels so nothing is cut off at phone width."""
    return textwrap.fill(text, width=width, break_long_words=False)


def target_line(ax: Axes, measure: Measure, style: object = (0, (4, 3)), color: str = TEXT) -> None:
    """The plan's target as a line, labelled at its right end."""
    if measure.target is None:
        return
    ax.axhline(measure.target.value, color=color, linestyle=style, linewidth=1.6 if color != TEXT else 1.3)
    ax.annotate(
        measure.target.label,
        xy=(1, measure.target.value),
        xycoords=("axes fraction", "data"),
        xytext=(-2, 4),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=9.5,
        color=color,
    )
    low, high = ax.get_ylim()
    ax.set_ylim(low, max(high, measure.target.value * 1.12))


def time_axis(ax: Axes, grain: str, starts: pd.Series, lang: Language) -> None:
    span_years = (starts.max() - starts.min()).days / 365.25 if len(starts) else 0
    if grain == "month":
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[1, 7] if span_years < 3 else [1]))
        if span_years < 3:
            ax.xaxis.set_major_formatter(
                FuncFormatter(lambda v, _: "{}\n{}".format(*_month_tick(mdates.num2date(v), lang)))
            )
        else:
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    elif grain in {"quarter", "rolling_12_months"}:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=[7]))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _: lang._("FY{yy}", yy=str(mdates.num2date(v).year + 1 - 2000).zfill(2)))
        )
    ax.set_xlabel(_grain_axis(grain, lang))


def _month_tick(d: date, lang: Language) -> tuple[str, int]:
    """``Jul`` over ``2025``; ``jul`` over ``2025`` in Spanish."""
    return lang.month_abbreviation(d.month), d.year


def midpoints(rows: pd.DataFrame) -> pd.Series:
    start = pd.to_datetime(rows["period_start"])
    end = pd.to_datetime(rows["period_end"])
    return start + (end - start) / 2


def _series_colors(rows: pd.DataFrame) -> dict[str, str]:
    order = rows.sort_values("series_order")["series"].drop_duplicates().tolist()
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(order)}


def _contrast_text(color: str) -> str:
    """The series colour, darkened until text in it reads on white (WCAG AA, 4.5:1)."""
    rgb = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]

    def luminance(channels: list[float]) -> float:
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    while 1.05 / (luminance(rgb) + 0.05) < 4.5:
        rgb = [c * 0.9 for c in rgb]
    return "#" + "".join(f"{round(c * 255):02X}" for c in rgb)


def _thin_ticks(ax: Axes, renderer: object) -> None:
    """Keep every second (third...) date tick until the labels no longer touch."""
    ticks = list(ax.get_xticks())
    labels = ax.get_xticklabels()
    if len(ticks) < 3 or len(labels) != len(ticks):
        return
    widths = [label.get_window_extent(renderer).width for label in labels]  # type: ignore[arg-type]
    xs = [ax.transData.transform((t, 0))[0] for t in ticks]
    spacing = min(b - a for a, b in itertools.pairwise(xs))
    step = 1
    while step < len(ticks) and spacing * step < max(widths) + 6:
        step += 1
    if step > 1:
        ax.set_xticks(ticks[::step])


def _direct_labels(fig: Figure, ax: Axes, ends: list[tuple[str, float, float, str]], size: float) -> None:
    """Name each line at its last point, to the right, spread apart so no two labels overlap.

    ``ends`` holds (label, x, y, colour) in data units. The x axis is widened so the labels fit
    inside the chart, which keeps them in the image at every width it is shown.
    """
    if not ends:
        return
    ends = [
        (label, x if isinstance(x, (int, float)) else float(mdates.date2num(x)), y, color)
        for label, x, y, color in ends
    ]
    texts = [
        ax.annotate(
            wrap(label, 16),
            xy=(x, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=size,
            color=_contrast_text(color),
            annotation_clip=False,
        )
        for label, x, y, color in ends
    ]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.draw_without_rendering()
    widest = max(t.get_window_extent(renderer).width for t in texts) + 10
    box = ax.get_window_extent(renderer)
    left = ax.get_xlim()[0]
    last = max(x for _, x, _, _ in ends)
    room = max(box.width - widest, box.width * 0.45)
    ticks = [t for t in ax.get_xticks() if left <= t <= last]
    ax.set_xlim(left, left + (last - left) * box.width / room)
    ax.set_xticks(ticks)  # no dates under the labels, where there is no data
    ax.spines["bottom"].set_bounds(left, last)
    # Spread the labels vertically: sort by height, then push apart so no two overlap.
    anchors = [ax.transData.transform((x, y))[1] for _, x, y, _ in ends]
    heights = [t.get_window_extent(renderer).height for t in texts]
    order = sorted(range(len(texts)), key=lambda i: anchors[i])
    placed: dict[int, float] = {}
    floor = box.y0
    for i in order:
        placed[i] = max(anchors[i], floor + heights[i] / 2)
        floor = placed[i] + heights[i] / 2 + 2
    ceiling = box.y1 + 4
    for i in reversed(order):  # if the stack left the chart at the top, push it back down
        placed[i] = min(placed[i], ceiling - heights[i] / 2)
        ceiling = placed[i] - heights[i] / 2 - 2
    _thin_ticks(ax, renderer)
    points_per_pixel = 72 / fig.dpi
    for i, text in enumerate(texts):
        text.xyann = (6, (placed[i] - anchors[i]) * points_per_pixel)


def event_lines(ax: Axes, measure: Measure, first: date, last: date) -> None:
    """A dotted line at each dated event, labelled on whichever side has more room."""
    for note in measure.chart.annotations:
        if first <= note.date <= last:
            x = pd.Timestamp(note.date)
            ax.axvline(x, color=MUTED, linestyle=(0, (2, 2)), linewidth=1.1)
            right_half = (note.date - first).days > (last - first).days / 2
            ax.annotate(
                wrap(note.label, 18),
                xy=(x, 0.04),
                xycoords=("data", "axes fraction"),
                xytext=(-4 if right_half else 4, 0),
                textcoords="offset points",
                ha="right" if right_half else "left",
                va="bottom",
                fontsize=9.5,
                color=TEXT,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9, "pad": 1.5},
            )


def chart_note(fig: Figure, rows: pd.DataFrame, column: bool, lang: Language) -> None:
    """One line under the chart saying what gaps and open markers mean, when there are any."""
    t = lang
    flags = statuses(rows)
    notes = []
    if flags.eq("partial").any():
        notes.append(t._("Hatched bars: incomplete data") if column else t._("Open circles: incomplete data"))
    missing, hidden = flags.isin(["missing", "not_available"]).any(), rows["suppressed"].any()
    if missing and hidden:
        notes.append(t._("Gaps: no data or hidden to protect privacy"))
    elif missing:
        notes.append(t._("Gaps: no data"))
    elif hidden:
        notes.append(t._("Gaps: hidden to protect privacy"))
    if notes:  # a figure-level label, so the layout makes room for it under the axis title
        fig.supxlabel(". ".join(notes) + ".", fontsize=9.5, color=MUTED, x=0.02, ha="left")


@styled
def time_chart(
    measure: Measure,
    rows: pd.DataFrame,
    suppressed_text: str,
    size: tuple[float, float] = FULL_SIZE,
    compact: bool = False,
    headline: str | None = None,
    *,
    lang: Language,
) -> Chart:
    """Line or column chart over time; one line per series, each named at its end."""
    figure_ = draw_time_chart(measure, rows, size, compact, headline, lang=lang)
    return encode(figure_, alt_text(measure, rows, suppressed_text, lang))


def draw_time_chart(
    measure: Measure,
    rows: pd.DataFrame,
    size: tuple[float, float] = FULL_SIZE,
    compact: bool = False,
    headline: str | None = None,
    *,
    lang: Language,
) -> Figure:
    """The figure of ``time_chart`` (draw inside ``house_style()``).

    The heading above the chart names it, so the image has no title of its own. On a card
    (``compact``) the ``headline`` series is drawn strongest and the others lighter.
    """
    fig, ax = figure(size)
    rows = rows.sort_values(["period_end", "period_start", "series_order"])
    column = measure.chart.type == "column" and rows["series"].nunique() == 1
    if column:
        _columns(ax, rows)
        ends: list[tuple[str, Any, float, str]] = []
    else:
        ends = _lines(ax, measure, rows, compact, headline)
    value_axis(ax, measure, lang)
    target_line(ax, measure)
    time_axis(ax, measure.grain, pd.to_datetime(rows["period_start"]), lang)
    if compact:
        ax.set_ylabel("")
        ax.set_xlabel("")
        ax.tick_params(labelsize=12.5)
    else:
        chart_note(fig, rows, column, lang)
    first, last = rows["period_start"].min(), rows["period_end"].max()
    event_lines(ax, measure, first, last)
    _direct_labels(fig, ax, ends, 12.5)
    return fig


def _columns(ax: Axes, rows: pd.DataFrame) -> None:
    """One column per period; no column where there is no value (a gap, never a 0), and
    incomplete periods hatched."""
    widths = (pd.to_datetime(rows["period_end"]) - pd.to_datetime(rows["period_start"])).dt.days
    partial = statuses(rows).eq("partial").to_numpy()
    ax.bar(midpoints(rows), rows["value"], width=widths * 0.8, color=PALETTE[0])
    if partial.any():
        ax.bar(
            midpoints(rows)[partial],
            rows["value"][partial],
            width=widths[partial] * 0.8,
            color="white",
            edgecolor=PALETTE[0],
            hatch="////",
            linewidth=1.2,
        )


def _lines(
    ax: Axes, measure: Measure, rows: pd.DataFrame, compact: bool, headline: str | None
) -> list[tuple[str, Any, float, str]]:
    """One line per series, with gaps where a month has no value and open circles on incomplete
    periods; returns where each line ends, to name it there."""
    colors = _series_colors(rows)
    ends = []
    several = rows["series"].nunique() > 1
    for series, part in rows.groupby("series", sort=False):
        x = midpoints(part)
        values = part["value"]
        if measure.grain == "month":
            # Show gaps (no sessions, hidden values) instead of joining across them.
            full = pd.Series(values.to_numpy(), index=pd.to_datetime(part["period_start"]))
            full = full.reindex(pd.date_range(full.index.min(), full.index.max(), freq="MS"))
            x = full.index + pd.Timedelta(days=14)
            values = full
        strong = not compact or headline is None or series == headline
        ax.plot(
            x,
            values,
            color=colors[series],
            linewidth=2.6 if strong else 1.6,
            alpha=1.0 if strong else 0.75,
            marker="o" if strong else None,
            markersize=3.5 if len(x) > 20 else 5,
            label=series,
            zorder=3 if strong else 2,
        )
        partial = part[statuses(part).eq("partial") & part["value"].notna()]
        if len(partial):  # incomplete periods: open circles
            ax.plot(
                midpoints(partial),
                partial["value"],
                linestyle="none",
                marker="o",
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=colors[series],
                markeredgewidth=1.8,
                zorder=4,
            )
        shown = pd.Series(list(values), index=list(x)).dropna()
        if several and len(shown):
            ends.append((str(series), shown.index[-1], float(shown.iloc[-1]), colors[series]))
    return ends


@styled
def latest_bar_chart(
    measure: Measure,
    rows: pd.DataFrame,
    suppressed_text: str,
    size: tuple[float, float] = FULL_SIZE,
    compact: bool = False,
    *,
    lang: Language,
) -> Chart:
    """Horizontal bars for the latest period; numerator over denominator when both exist."""
    t = lang
    latest = latest_rows(rows)
    fig, ax = figure(size)
    labels = [wrap(str(label), 16) for label in latest["series"].tolist()[::-1]]
    values = latest["value"].tolist()[::-1]
    hidden = latest["suppressed"].tolist()[::-1]
    y = range(len(labels))
    stacked = measure.denominator_label and measure.value == "numerator"
    if stacked:
        denominators = latest["denominator"].tolist()[::-1]
        ax.barh(y, denominators, color=LIGHT_BAR, height=0.7, label=measure.denominator_label)
        ax.barh(y, values, color=PALETTE[0], height=0.42, label=measure.numerator_label)
    else:
        ax.barh(
            y, [0 if h or is_missing(v) else v for v, h in zip(values, hidden)], color=PALETTE[0], height=0.6
        )
    ax.set_yticks(list(y), labels)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", visible=True, color=GRID)
    top = max(
        [v for v in ([*values, *(latest["denominator"].tolist() if stacked else [])]) if not is_missing(v)]
        or [1]
    )
    for i, (value, hide) in enumerate(zip(values, hidden)):
        text = (
            suppressed_text if hide else t._("no data") if is_missing(value) else fmt_value(measure, value, t)
        )
        if stacked and not hide:
            text = t._("{value} of {total}", value=text, total=fmt_value(measure, denominators[i], t))
        ax.annotate(
            text,
            xy=(0 if hide else (denominators[i] if stacked else value), i),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=10.5,
            color=TEXT,
        )
    ax.set_xlim(0, top * 1.45)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: t.number(v, 0)))
    ax.set_xlabel(measure.value_label if not stacked else t._("Positions"))
    if stacked and not compact:
        # Under the chart, centred on the figure (the axes sit right of the bar labels); one
        # column when the labels are too long for two (Spanish labels are longer than English).
        legend = fig.legend(loc="outside lower center", ncol=2)
        if legend.get_window_extent(fig.canvas.get_renderer()).width > fig.bbox.width:
            legend.remove()
            fig.legend(loc="outside lower center", ncol=1)
    return encode(fig, alt_text(measure, rows, suppressed_text, t))
