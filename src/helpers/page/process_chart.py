"""The process chart: a measure's series with its usual range, and the points that are more than
the usual ups and downs marked in the Making Data Count colours *and* by shape.

One panel per series (a split measure is judged series by series): the values as a line, the
mean, the process limits (dashed) and the 2-sigma band (lightly shaded), drawn per segment, with
a dotted line and its reason where a declared change starts new limits. A special-cause point is
filled in its colour and drawn as a diamond (better), a square (worse) or a triangle pointing up
or down (higher or lower, where neither is better): never colour alone. An incomplete period is
an open circle and is not judged. A lower limit below what the measure can take (a count below
0, a share below 0%) is drawn at that floor, and the chart says so; the CSV keeps the limit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..core.language import Language
from ..measures.limits import charted
from ..params.measure import Measure
from .alt_text import floor_of, statuses
from .chart_style import CARD_SIZE, DPI, FULL_SIZE, MUTED, TEXT, Chart, encode, styled
from .charts import midpoints, target_line, time_axis, value_axis, wrap

MDC_COLOURS = {
    "common_cause": "#a6a6a6",
    "special_cause_improvement": "#00b0f0",
    "special_cause_concern": "#e46c0a",
    "special_cause_neutral_high": "#490092",
    "special_cause_neutral_low": "#490092",
}
MARKERS = {
    "special_cause_improvement": "D",
    "special_cause_concern": "s",
    "special_cause_neutral_high": "^",
    "special_cause_neutral_low": "v",
}
LINE = "#4d4d4d"
TARGET, TARGET_STYLE = "#006d5b", (0, (1, 1.5))
BAND = "#e8e8e8"


def series_names(rows: pd.DataFrame) -> list[str]:
    return [str(s) for s in rows.sort_values("series_order")["series"].drop_duplicates()]


@styled
def process_chart(
    measure: Measure,
    rows: pd.DataFrame,
    suppressed_text: str,
    compact: bool = False,
    headline: str | None = None,
    *,
    lang: Language,
) -> Chart:
    """The measure's process chart: every series in its own panel, or on a card (``compact``)
    the ``headline`` series alone."""
    from .alt_text import process_alt

    names = series_names(rows)
    shown = [headline if headline in names else names[0]] if compact else names
    width, height = CARD_SIZE if compact else (FULL_SIZE[0], FULL_SIZE[1] + 0.6)  # room for the key
    if len(shown) > 1:
        height = 2.3 * len(shown) + 1.0
    fig = Figure(figsize=(width, height), layout="constrained", dpi=DPI)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    clipped = False
    for ax, name in zip(axes, shown):
        part = rows[rows["series"] == name].sort_values(["period_end", "period_start"], kind="stable")
        if part["suppressed"].astype(bool).any():
            _too_few(ax, measure, part, lang)
        else:
            clipped |= _panel(ax, measure, part, compact, lang)
        if len(shown) > 1:
            ax.set_title(wrap(name, 40), fontsize=12, loc="left")
    for ax in axes[:-1]:
        ax.set_xlabel("")
    if compact:
        axes[-1].set_xlabel("")
        axes[-1].set_ylabel("")
        axes[-1].tick_params(labelsize=12.5)
    else:
        _legend(fig, measure, rows, clipped, lang)
    return encode(fig, process_alt(measure, rows, suppressed_text, clipped, lang))


def _too_few(ax: Axes, measure: Measure, part: pd.DataFrame, lang: Language) -> None:
    """A series with cells hidden for privacy is not drawn point by point: the gaps would
    point at the small counts. Its panel says so, and its table lists what is published."""
    ax.text(
        0.5,
        0.5,
        lang._("Too few to show safely"),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=13,
        color=TEXT,
    )
    ax.set_yticks([])
    ax.set_xlim(pd.to_datetime(part["period_start"]).min(), pd.to_datetime(part["period_end"]).max())
    time_axis(ax, measure.grain, pd.to_datetime(part["period_start"]), lang)


def _panel(ax: Axes, measure: Measure, part: pd.DataFrame, compact: bool, lang: Language) -> bool:
    """One series: line, usual range, marked points. Returns whether a limit was clipped."""
    shown = part[charted(part)]
    x_all = midpoints(part)
    values = part["value"].where(charted(part))
    if measure.grain == "month":  # a month with no published value is a gap in the line
        full = pd.Series(values.to_numpy(), index=pd.to_datetime(part["period_start"]))
        full = full.reindex(pd.date_range(full.index.min(), full.index.max(), freq="MS"))
        ax.plot(full.index + pd.Timedelta(days=14), full, color=LINE, linewidth=1.6, zorder=3)
    else:
        ax.plot(x_all, values, color=LINE, linewidth=1.6, zorder=3)
    clipped = _limits(ax, measure, shown)
    for kind, group in shown.groupby(shown["point_type"].fillna(""), sort=False):
        x = midpoints(group)
        if kind in MARKERS:
            ax.scatter(
                x,
                group["value"],
                s=46 if not compact else 34,
                marker=MARKERS[kind],
                color=MDC_COLOURS[kind],
                edgecolors="#1a1a1a",
                linewidths=0.9,
                zorder=5,
            )
        elif kind == "common_cause":
            ax.scatter(x, group["value"], s=14, color=MDC_COLOURS[kind], edgecolors="none", zorder=4)
    partial = shown[statuses(shown).eq("partial")]
    if len(partial):
        ax.scatter(
            midpoints(partial),
            partial["value"],
            s=40,
            facecolors="white",
            edgecolors=LINE,
            linewidths=1.5,
            zorder=5,
        )
    value_axis(ax, measure, lang)
    ax.set_ylim(auto=True)
    ax.relim()
    ax.autoscale_view()
    target_line(ax, measure, style=TARGET_STYLE, color=TARGET)
    low, high = ax.get_ylim()
    floor = floor_of(measure)
    if floor is not None and low < floor:
        ax.set_ylim(bottom=floor)
    if measure.unit == "percent" and high > 100:
        ax.set_ylim(top=100)
    time_axis(ax, measure.grain, pd.to_datetime(part["period_start"]), lang)
    _changes(ax, measure, part)
    return clipped


def _limits(ax: Axes, measure: Measure, rows: pd.DataFrame) -> bool:
    """Mean, limits and the 2-sigma band, segment by segment; whether a limit is drawn at the
    measure's floor (or at 100%) instead of where it is."""
    clipped = False
    floor = floor_of(measure)
    for _, segment in rows.groupby("segment", sort=True):
        first, last = segment.iloc[0], segment.iloc[-1]
        start = pd.Timestamp(first["period_start"])
        end = pd.Timestamp(last["period_end"])
        x = midpoints(segment)
        xs = pd.DatetimeIndex([start, *list(x), end])
        lower = np.array(
            [first["lower_process_limit"], *segment["lower_process_limit"], last["lower_process_limit"]]
        )
        upper = np.array(
            [first["upper_process_limit"], *segment["upper_process_limit"], last["upper_process_limit"]]
        )
        near_lower = np.array(
            [first["near_lower_limit"], *segment["near_lower_limit"], last["near_lower_limit"]]
        )
        near_upper = np.array(
            [first["near_upper_limit"], *segment["near_upper_limit"], last["near_upper_limit"]]
        )
        if floor is not None:
            clipped |= bool(np.nanmin(lower) < floor)
            lower, near_lower = np.maximum(lower, floor), np.maximum(near_lower, floor)
        if measure.unit == "percent":
            clipped |= bool(np.nanmax(upper) > 100)
            upper, near_upper = np.minimum(upper, 100), np.minimum(near_upper, 100)
        ax.fill_between(xs, near_lower, near_upper, color=BAND, linewidth=0, zorder=1, step=None)
        ax.plot(xs, lower, color=TEXT, linestyle=(0, (4, 3)), linewidth=1.1, zorder=2)
        ax.plot(xs, upper, color=TEXT, linestyle=(0, (4, 3)), linewidth=1.1, zorder=2)
        ax.plot([start, end], [first["process_mean"]] * 2, color=TEXT, linewidth=1.2, zorder=2)
    return clipped


def _changes(ax: Axes, measure: Measure, part: pd.DataFrame) -> None:
    """A dotted line where a declared change starts new limits, with its reason."""
    first, last = part["period_start"].min(), part["period_end"].max()
    for change in measure.process.changes:
        if first < change.date <= last:
            x = pd.Timestamp(change.date)
            ax.axvline(x, color=MUTED, linestyle=(0, (2, 2)), linewidth=1.1)
            right_half = (change.date - first).days > (last - first).days / 2
            ax.annotate(  # above the plot, where it hides no point
                wrap(change.reason, 30),
                xy=(x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(-4 if right_half else 4, 2),
                textcoords="offset points",
                ha="right" if right_half else "left",
                va="bottom",
                fontsize=9.5,
                color=TEXT,
                annotation_clip=False,
            )


def _legend(fig: Figure, measure: Measure, rows: pd.DataFrame, clipped: bool, lang: Language) -> None:
    """What the lines and marks mean, under the chart: only what this chart shows."""
    t = lang
    kinds = set(rows["point_type"].fillna(""))
    handles = [
        Line2D([], [], color=TEXT, linewidth=1.2, label=t._("Average")),
        Line2D(
            [],
            [],
            color=TEXT,
            linestyle=(0, (4, 3)),
            linewidth=1.1,
            label=t._("Usual range (process limits)"),
        ),
    ]
    names = {
        "special_cause_improvement": t._("Real change: better"),
        "special_cause_concern": t._("Real change: worse"),
        "special_cause_neutral_high": t._("Real change: higher"),
        "special_cause_neutral_low": t._("Real change: lower"),
    }
    for kind, label in names.items():
        if kind in kinds:
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=MARKERS[kind],
                    markersize=7,
                    markerfacecolor=MDC_COLOURS[kind],
                    markeredgecolor="#1a1a1a",
                    label=label,
                )
            )
    if statuses(rows).eq("partial").any():
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=7,
                markerfacecolor="white",
                markeredgecolor=LINE,
                label=t._("Incomplete data (not judged)"),
            )
        )
    legend = fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=10)
    if legend.get_window_extent(fig.canvas.get_renderer()).width > fig.bbox.width:
        legend.remove()
        fig.legend(handles=handles, loc="outside lower center", ncol=1, fontsize=10)
    if clipped:
        fig.supxlabel(
            t._("Limits beyond what the measure can take are drawn at its edge."),
            fontsize=9.5,
            color=MUTED,
            x=0.02,
            ha="left",
        )
