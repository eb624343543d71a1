"""The districts' overview in pictures: a map, small multiples and a funnel plot.

Each is drawn by the build (matplotlib and shapely: no tiles, no third-party script) and
published like an analyst's figure (``figures.publish_figure``): alt text, caption with source
and date, a data table and a CSV, after the privacy check. Colours read in greyscale: the map's
scale runs from light to dark with the number printed in each district.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..data.areas import load_area
from ..params.districts import NOT_RECORDED
from .chart_style import GRID, MUTED, TEXT, house_style
from .charts import time_axis, wrap
from .data import PageData
from .districts import area_name, area_rates, districts_of
from .figures import publish_figure
from .fragments import Block, Fragment, Heading, para
from .narrative import fmt_number

SHADES = "Blues"  # lightness rises steadily: darker is higher, in colour or in grey
Z95, Z998 = 1.959964, 3.090232  # the funnel's limits: 95% and 99.8% (Spiegelhalter 2005)


def _rate_words(page: PageData) -> tuple[str, str]:
    t = page.lang
    measure = page.measure(districts_of(page).rate_measure)
    what = t._("{what} per 1,000 residents", what=measure.value_label)
    return what, t.quarter_long(page.quarter)


def _rates_table(page: PageData, rates: pd.DataFrame) -> pd.DataFrame:
    """The numbers behind the map and the funnel, as residents read them."""
    t = page.lang
    what, _ = _rate_words(page)
    measure = page.measure(districts_of(page).rate_measure)
    return pd.DataFrame(
        {
            t._("Area"): [area_name(page, a) for a in rates["area"]],
            measure.value_label: rates["count"].to_numpy(),
            t._("Residents"): rates["residents"].to_numpy(),
            what: rates["per_1000"].round(1).to_numpy(),
            t._("Square miles"): rates["square_miles"].round(1).to_numpy(),
            t._("{what} per square mile", what=measure.value_label): rates["per_square_mile"]
            .round(0)
            .to_numpy(),
        }
    )


# --------------------------------------------------------------------------------------------
# The map


def district_map(page: PageData) -> Fragment:
    from shapely import wkb

    t, districts = page.lang, districts_of(page)
    what, period = _rate_words(page)
    rates = area_rates(page, districts.rate_measure)
    by_area = dict(zip(rates["area"], rates["per_1000"]))
    shapes = {r["id"]: wkb.loads(r["wkb"]) for r in load_area(page.settings.paths, districts.boundaries)}
    with house_style():
        fig = Figure(figsize=(6.0, 5.6), layout="constrained", dpi=130)
        ax = fig.subplots()
        known = [v for v in by_area.values() if not math.isnan(v)]
        low, high = (min(known), max(known)) if known else (0.0, 1.0)
        import matplotlib as mpl

        shades = mpl.colormaps[SHADES]
        scale = mpl.colors.Normalize(vmin=low * 0.8, vmax=high)
        for district in districts.areas:
            value = by_area.get(district.id, math.nan)
            shape = shapes[district.id]
            colour = "#ffffff" if math.isnan(value) else shades(scale(value))
            _draw(ax, shape, colour, hatch=math.isnan(value))
            point = shape.representative_point()
            number = t._("too few") if math.isnan(value) else fmt_number(value, 0, t)
            dark = not math.isnan(value) and scale(value) > 0.55
            ax.text(
                point.x, point.y, f"{district.name}\n{number}", ha="center", va="center", fontsize=10.5,
                color="#ffffff" if dark else TEXT, fontweight="bold",
            )  # fmt: skip
        latitude = np.mean([s.centroid.y for s in shapes.values()])
        ax.set_aspect(1 / math.cos(math.radians(latitude)))
        ax.set_axis_off()
        bar = fig.colorbar(mpl.cm.ScalarMappable(norm=scale, cmap=shades), ax=ax, shrink=0.7, pad=0.02)
        bar.set_label(wrap(f"{what}, {period}", 30), color=TEXT)
    items = "; ".join(
        f"{d.name} ({d.area}): {_alt_number(by_area.get(d.id, math.nan), page)}" for d in districts.areas
    )
    alt = t._(
        "Map of the {count} police districts, shaded by {what} in {period}, darker for higher: {items}.",
        count=len(districts.areas),
        what=what.lower(),
        period=period,
        items=items,
    )
    caption = t._("{what} by police district, {period}", what=what, period=period)
    table = _rates_table(page, rates)
    figure = publish_figure(
        page, fig, caption=caption, alt=alt, data=table, measure=districts.rate_measure,
        name="map", rates=list(table.columns[3:]),
    )  # fmt: skip
    blocks: list[Block] = [Heading(2, t._("Map"), "district-map")]  # the rate is explained above
    return Fragment([*blocks, *figure.blocks], figure.downloads)


def _alt_number(value: float, page: PageData) -> str:
    return page.suppressed_text if math.isnan(value) else fmt_number(value, 1, page.lang)


def _draw(ax: object, shape: object, colour: object, hatch: bool) -> None:
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    polygons = getattr(shape, "geoms", [shape])
    for polygon in polygons:
        rings = [polygon.exterior, *polygon.interiors]
        vertices = np.concatenate([np.asarray(r.coords) for r in rings])
        codes = np.concatenate(
            [[MplPath.MOVETO] + [MplPath.LINETO] * (len(r.coords) - 2) + [MplPath.CLOSEPOLY] for r in rings]
        )
        patch = PathPatch(
            MplPath(vertices, codes), facecolor=colour, edgecolor="#1f2328", linewidth=1.2,
            hatch="///" if hatch else None,
        )  # fmt: skip
        ax.add_patch(patch)  # type: ignore[attr-defined]
    ax.autoscale_view()  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# Small multiples


def district_panels(page: PageData) -> Fragment:
    """One panel per area on the same scale, the city first, then the districts in their fixed
    order: monthly calls per 1,000 residents."""
    t, districts = page.lang, districts_of(page)
    measure = page.measure(districts.rate_measure)
    what, _ = _rate_words(page)
    monthly = _monthly_rates(page)
    areas = ["", *(d.id for d in districts.areas)]
    top = float(np.nanmax(monthly[areas].to_numpy())) * 1.1 if len(monthly) else 1.0
    with house_style():
        fig = Figure(figsize=(6.4, 7.2), layout="constrained", dpi=130)
        axes = fig.subplots(math.ceil(len(areas) / 2), 2, sharex=True, sharey=True).ravel()
        for ax, area in zip(axes, areas):
            values = monthly[area]
            ax.set_title(area_name(page, area), loc="left", fontsize=11.5)
            if values.isna().any():
                ax.text(
                    0.5, 0.5, t._("Too few to show safely"), transform=ax.transAxes, ha="center", color=TEXT
                )
            else:
                ax.plot(monthly.index, values, color="#0b3a5d", linewidth=1.5)
            ax.plot(monthly.index, monthly[""], color=MUTED, linewidth=0.9, linestyle=(0, (3, 2)))
            ax.set_ylim(0, top)
            ax.grid(axis="y", color=GRID)
            time_axis(ax, "month", pd.Series(monthly.index), t)
            ax.set_xlabel("")
        for ax in axes[len(areas) :]:
            ax.set_axis_off()
        fig.supylabel(wrap(what, 30), color=TEXT, fontsize=11)
    table = monthly[areas].rename(columns={a: area_name(page, a) for a in areas}).round(2)
    table.index = [t.month(d) for d in monthly.index]
    table.index.name = t._("Month")
    caption = t._("{what}, month by month: the city, then each district", what=what)
    alt = t._(
        "Small multiples: one panel for the city and one for each police district, on the same "
        "scale, of {what} each month from {first} to {last}. The dashed line in every panel is the "
        "city.",
        what=what.lower(),
        first=table.index[0] if len(table) else "",
        last=table.index[-1] if len(table) else "",
    )
    figure = publish_figure(
        page, fig, caption=caption, alt=alt, data=table, measure=measure.id, name="panels",
        rates=list(table.columns),
    )  # fmt: skip
    intro = para(
        t._(
            "Each panel has the same scale, so the panels can be compared at a glance. The order is "
            "geographic, not a ranking."
        )
    )
    return Fragment(
        [Heading(2, t._("Month by month"), "district-panels"), intro, *figure.blocks], figure.downloads
    )


def _monthly_rates(page: PageData) -> pd.DataFrame:
    """Calls per 1,000 residents per month (the total series), one column per area ("" is the
    city); a month hidden or incomplete anywhere in an area is a gap in it."""
    districts = districts_of(page)
    measure = page.measure(districts.rate_measure)
    total = measure.series_by.total if measure.series_by and measure.series_by.total else None
    residents = {r["id"]: r["value"] for r in load_area(page.settings.paths, districts.population)}
    frames = {"": page.city_rows(measure.id).assign(district="")}
    rows = page.rows(measure.id)
    for district in districts.areas:
        frames[district.id] = rows[rows["district"] == district.id]
    columns = {}
    for area, part in frames.items():
        if total is not None:
            part = part[part["series"] == total]
        people = sum(residents.values()) if area == "" else residents.get(area, math.nan)
        usable = ~part["suppressed"].astype(bool) & (part["status"] == "complete")
        values = part["value"].where(usable) / people * 1000
        columns[area] = pd.Series(values.to_numpy(), index=pd.to_datetime(part["period_start"]))
    frame = pd.DataFrame(columns).sort_index()
    return frame[frame.index >= frame.index.max() - pd.DateOffset(months=35)]  # the last 3 years


# --------------------------------------------------------------------------------------------
# The funnel plot


def district_funnel(page: PageData) -> Fragment:
    """Each district's quarter rate against its residents, inside limits around the rate of the
    districts together that narrow as the population grows: outside the funnel is more than
    chance."""
    t, districts = page.lang, districts_of(page)
    what, period = _rate_words(page)
    rates = area_rates(page, districts.rate_measure)
    districts_only = rates[(rates["area"] != "") & (rates["area"] != NOT_RECORDED)]
    shown = districts_only.dropna(subset=["per_1000"])
    # the districts together, so that calls with no district do not raise the centre
    centre = shown["count"].sum() / shown["residents"].sum()  # calls per resident
    fig = _funnel_figure(page, shown, centre, what)
    outside = []
    for row in shown.itertuples():
        limit = math.sqrt(centre / row.residents) * 1000 * Z998
        if abs(row.per_1000 - centre * 1000) > limit:
            outside.append((row.area, row.per_1000 > centre * 1000))
    table = _funnel_table(page, shown, centre)
    caption = t._(
        "{what} against residents, {period}, with the funnel around the districts' rate",
        what=what,
        period=period,
    )
    alt = t._(
        "Funnel plot of {what} in {period} against each district's residents. The solid line is "
        "the rate of the districts together ({rate}); the dashed lines are the 95% limits and the "
        "dotted lines the 99.8% limits. {finding}",
        what=what.lower(),
        period=period,
        rate=fmt_number(centre * 1000, 1, t),
        finding=_funnel_finding(page, outside),
    )
    figure = publish_figure(
        page, fig, caption=caption, alt=alt, data=table, measure=districts.rate_measure, name="funnel",
        rates=list(table.columns[1:]),
    )  # fmt: skip
    blocks: list[Block] = [
        Heading(2, t._("Different from the city, or chance?"), "district-funnel"),
        para(
            t._(
                "The middle line is the rate of all the districts together. A district is only "
                "different from it when its point is outside the funnel. The funnel is wider for "
                "districts with fewer residents, where chance moves a rate more."
            )
        ),
        para(_funnel_finding(page, outside)),
    ]
    return Fragment([*blocks, *figure.blocks], figure.downloads)


def _funnel_figure(page: PageData, shown: pd.DataFrame, centre: float, what: str) -> Figure:
    """The districts' points inside limits at about 2 and 3 standard deviations (95% and 99.8%)
    of a Poisson rate around ``centre``, which narrow as the residents grow."""
    t = page.lang
    people = np.linspace(max(1000.0, shown["residents"].min() * 0.5), shown["residents"].max() * 1.4, 120)
    band = {z: np.sqrt(centre / people) * 1000 * z for z in (Z95, Z998)}
    with house_style():
        fig = Figure(figsize=(6.0, 4.4), layout="constrained", dpi=130)
        ax = fig.subplots()
        ax.axhline(centre * 1000, color=TEXT, linewidth=1.2)
        for z, style in ((Z95, (0, (4, 3))), (Z998, (0, (1, 1.5)))):
            for sign in (1, -1):
                ax.plot(people, centre * 1000 + sign * band[z], color=MUTED, linestyle=style, linewidth=1.1)
        ax.scatter(shown["residents"], shown["per_1000"], color="#0b3a5d", zorder=3, s=36)
        _labels(ax, shown, page)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: t.number(x)))
        ax.set_xlabel(t._("Residents"))
        ax.set_ylabel(wrap(what, 28))
        ax.grid(color=GRID)
    return fig


def _labels(ax: object, shown: pd.DataFrame, page: PageData) -> None:
    """Each district's name beside its point, nudged apart where points are close."""
    low, high = ax.get_ylim()  # type: ignore[attr-defined]
    step = (high - low) * 0.06
    placed: list[float] = []
    for row in shown.sort_values("per_1000").itertuples():
        y = float(row.per_1000)
        while any(abs(y - other) < step for other in placed):
            y += step / 2
        placed.append(y)
        ax.annotate(  # type: ignore[attr-defined]
            area_name(page, row.area), (row.residents, row.per_1000), xytext=(row.residents, y),
            textcoords="data", fontsize=10, color=TEXT, ha="left", va="bottom",
            arrowprops={"arrowstyle": "-", "color": MUTED, "linewidth": 0.6} if y != row.per_1000 else None,
        )  # fmt: skip


def _funnel_table(page: PageData, shown: pd.DataFrame, centre: float) -> pd.DataFrame:
    t = page.lang
    what, _ = _rate_words(page)
    limits = {z: np.sqrt(centre / shown["residents"].to_numpy()) * 1000 * z for z in (Z95, Z998)}
    return pd.DataFrame(
        {
            t._("District"): [area_name(page, a) for a in shown["area"]],
            t._("Residents"): shown["residents"].to_numpy(),
            what: shown["per_1000"].round(1).to_numpy(),
            t._("All districts"): round(centre * 1000, 1),
            t._("Lower 99.8% limit"): (centre * 1000 - limits[Z998]).round(1),
            t._("Upper 99.8% limit"): (centre * 1000 + limits[Z998]).round(1),
        }
    )


def _funnel_finding(page: PageData, outside: list[tuple[str, bool]]) -> str:
    t = page.lang
    if not outside:
        return t._("Every district's rate is within the funnel: the differences could be chance.")
    above = t.join([area_name(page, a) for a, high in outside if high])
    below = t.join([area_name(page, a) for a, high in outside if not high])
    parts = []
    if above:
        parts.append(t._("Calls recorded per resident in {areas} were above the funnel.", areas=above))
    if below:
        parts.append(t._("Calls recorded per resident in {areas} were below the funnel.", areas=below))
    return " ".join(parts) + " " + t._("Those differences are more than chance.")
