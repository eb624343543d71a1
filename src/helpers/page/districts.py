"""What a police district's page and the districts' overview say.

A district's page shows each district measure exactly as the city's pages do (chart, process
limits, verdict, table, CSV, about this data) on the district's own rows, and says what the
figures cannot show. The overview compares the districts fairly: one rate with its denominator
stated, a map, small multiples on one scale in a fixed geographic order (never a ranking), and a
funnel plot. Words describe records, never places: "calls recorded in District 3".
"""

from __future__ import annotations

import math

import pandas as pd

from ..data.areas import load_area
from ..params.districts import NOT_RECORDED, District, Districts
from .data import PageData
from .fragments import Block, Bullets, Fragment, Heading, Html, esc, para
from .narrative import fmt_number
from .parts import measure_blocks
from .story import reporting_line


def districts_of(page: PageData) -> Districts:
    districts = page.settings.plan.districts
    if districts is None:
        raise KeyError("params/plan.yml has no districts: section")
    return districts


def district_of(page: PageData) -> District:
    if page.district is None:
        raise KeyError(f"the {page.page} page is not a district's page")
    return districts_of(page).district(page.district)


# --------------------------------------------------------------------------------------------
# A district's page


def district_intro(page: PageData) -> Fragment:
    t, district = page.lang, district_of(page)
    return Fragment(
        [
            reporting_line(page),
            para(
                t._(
                    "These figures count the calls recorded in {district} ({area}), month by month, "
                    "with the same method as the city's figures. They describe records of calls, "
                    "not the people who live or work here.",
                    district=district.name,
                    area=district.area,
                )
            ),
        ]
    )


def district_measures(page: PageData) -> Fragment:
    blocks: list[Block] = []
    for measure_id in districts_of(page).measures:
        blocks += measure_blocks(page, measure_id, level=2)
    return Fragment(blocks)


def district_limits(page: PageData) -> Fragment:
    """What the district's figures cannot show, in plain words."""
    t = page.lang
    floor = page.settings.privacy.floor
    unrecorded = _not_recorded_calls(page)
    items = [
        t._("Events nobody reported. Many crimes and crashes never reach 911."),
        t._("Where officers patrol. More patrols in an area lead to more calls recorded there."),
        t._(
            "Calls with no district recorded ({count} in {period}). They are in the city's figures "
            "but on no district's page.",
            count=unrecorded,
            period=t.quarter_long(page.quarter),
        ),
        t._(
            "Small numbers. A count from 1 to {last} is hidden, and so is any number that would "
            "reveal it. A chart with hidden numbers is not drawn.",
            last=floor - 1,
        ),
    ]
    return Fragment([Heading(2, t._("What these figures cannot show"), "district-limits"), Bullets(items)])


def _not_recorded_calls(page: PageData) -> str:
    """The quarter's calls with no district, as the overview publishes them."""
    rates = area_rates(page, districts_of(page).rate_measure, everywhere=True)
    row = rates[rates["area"] == NOT_RECORDED]
    if row.empty or math.isnan(row.iloc[0]["count"]):
        return page.suppressed_text
    return fmt_number(float(row.iloc[0]["count"]), 0, page.lang)


# --------------------------------------------------------------------------------------------
# The overview


def overview_intro(page: PageData) -> Fragment:
    t, districts = page.lang, districts_of(page)
    return Fragment(
        [
            reporting_line(page),
            para(
                t._(
                    "Durham's Police Department works in {count} districts. This page compares the "
                    "calls recorded in each, on one scale and in a fixed order from north to south, "
                    "never as a ranking.",
                    count=len(districts.areas),
                )
            ),
            para(districts.rate_note),
        ]
    )


def district_links(page: PageData) -> Fragment:
    """A link to each district's page, in the fixed order; then the downloads of the calls with
    no district recorded, which have no page of their own."""
    t, districts = page.lang, districts_of(page)
    root = page.site_page.root
    items = "".join(
        f'<li><a href="{esc(root)}districts/{esc(d.slug)}.html">{esc(d.name)}</a>: {esc(d.area)}</li>'
        for d in districts.areas
    )
    files = ""
    for measure_id in districts.measures:
        label = t._("{what}, month by month (CSV)", what=page.measure(measure_id).short_label)
        href = page.district_data_file(NOT_RECORDED, measure_id)
        files += f'<li><a href="{esc(href)}" download>{esc(label)}</a></li>'

    unrecorded = t._(
        "Calls with no district recorded have no page: they are in the city's figures only. Their "
        "own figures:"
    )
    return Fragment(
        [
            Heading(2, t._("Each district's page"), "district-pages"),
            Html(f"<ul>{items}</ul>"),
            para(unrecorded),
            Html(f"<ul>{files}</ul>"),
        ]
    )


def area_rates(page: PageData, measure_id: str, everywhere: bool = False) -> pd.DataFrame:
    """The quarter's count of ``measure_id`` (its total series) for the city, each district and
    the calls with no district, with residents, square miles and the rates. A quarter with a
    hidden or incomplete month has no count (never a smaller one). ``everywhere``: read the
    rows whatever page this is (a district page reads only its own)."""
    districts = districts_of(page)
    measure = page.measure(measure_id)
    total = measure.series_by.total if measure.series_by and measure.series_by.total else None
    rows = page.read_rows(measure_id, "districts") if everywhere else page.rows(measure_id)
    city = page.city_rows(measure_id)
    residents = {r["id"]: r["value"] for r in load_area(page.settings.paths, districts.population)}
    miles = {r["id"]: r["area_sq_mi"] for r in load_area(page.settings.paths, districts.boundaries)}
    out = [_area_row("", city, total, page, sum(residents.values()), sum(miles.values()))]
    for district in [*(d.id for d in districts.areas), NOT_RECORDED]:
        part = rows[rows["district"] == district]
        out.append(_area_row(district, part, total, page, residents.get(district), miles.get(district)))
    return pd.DataFrame(out)


def _area_row(
    area: str,
    rows: pd.DataFrame,
    total: str | None,
    page: PageData,
    residents: float | None,
    miles: float | None,
) -> dict[str, object]:
    if total is not None:
        rows = rows[rows["series"] == total]
    inside = rows[(rows["period_start"] >= page.quarter.start) & (rows["period_end"] <= page.quarter.end)]
    usable = len(inside) == 3 and not inside["suppressed"].any() and (inside["status"] == "complete").all()
    count = float(inside["value"].sum()) if usable else math.nan
    return {
        "area": area,
        "count": count,
        "residents": residents if residents is not None else math.nan,
        "square_miles": miles if miles is not None else math.nan,
        "per_1000": count / residents * 1000 if residents else math.nan,
        "per_square_mile": count / miles if miles else math.nan,
    }


def area_name(page: PageData, area: str) -> str:
    """How tables and charts name an area: the city, a district, or the calls with none."""
    t, districts = page.lang, districts_of(page)
    if area == "":
        return t._("Citywide")
    if area == NOT_RECORDED:
        return districts.not_recorded
    return districts.district(area).name
