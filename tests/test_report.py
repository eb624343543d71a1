"""What notebooks call: the City's template, read-only access to declared inputs, safe text."""

from __future__ import annotations

import re

import pytest
import yaml

from helpers.page.fragments import Heading
from helpers.report import UndeclaredMeasure, open_page

from .conftest import LATEST

pytestmark = pytest.mark.slow

PARTS = [
    Heading(3, title).markdown()
    for title in (
        "Description",
        "Key Measures & Data Analysis",
        "Why is it important?",
        "What have we been doing?",
        "What's next?",
    )
]


def page(paths, name: str, quarter: str = "FY2027Q1"):
    return open_page(name, quarter, params_dir=paths.params, processed_dir=paths.processed)


def objective_markdown(p, objective_id: str) -> str:
    parts = [p.objective_intro().data]
    for initiative in p.settings.plan.objective(objective_id).initiatives:
        parts += [
            p.initiative_intro(initiative.id).data,
            p.key_measures(initiative.id).data,
            p.initiative_outro(initiative.id).data,
        ]
    return "\n".join(parts)


def test_every_initiative_follows_the_citys_template(sample_project):
    p = page(sample_project, "2.1")
    text = objective_markdown(p, "2.1")
    for initiative in ("2.11", "2.12", "2.13"):
        section = text.split(f"{{#initiative-{initiative.replace('.', '-')}}}")[1]
        section = re.split(r"\n## ", section)[0]
        positions = [section.index(part) for part in PARTS]
        assert positions == sorted(positions), initiative
        assert 'class="status-badge status-' in section and 'aria-hidden="true"' in section


def test_measure_blocks_have_chart_table_csv_summary_and_about(sample_project):
    text = page(sample_project, "2.1").key_measures("2.13").data
    assert "{#measure-no-fault-crashes}" in text
    assert '<img class="chart" src="data:image/png;base64,' in text
    assert 'alt="Process chart of No Fault' in text
    assert '<details class="measure-table">' in text and '<th scope="col">' in text
    assert '<a href="data/no_fault_crashes.csv" download>' in text
    summary = text.split('<p class="measure-summary">')[1].split("</p>")[0]
    assert summary.startswith("No-fault crash calls handled by police stayed below the usual average from")
    assert "previous quarter" not in summary  # the verdict leads; no two-point comparison
    assert "The usual range starts again from June 2025 (Civilian investigators start)." in summary
    for field in (
        "Target",
        "Is the change real?",
        "Definition",
        "How it is calculated",
        "Source",
        "Things to know",
        "Privacy",
        "Data through",
        "Data as of",
        "Next update",
    ):
        assert f"<dt>{field}</dt>" in text
    assert "Civilian investigators start" in text  # the pilot is marked on the chart


def test_goal_page_cards_badges_and_callout(sample_project):
    p = page(sample_project, "goal")
    cards = "".join(p.objective_cards(o).data for o in ("2.1", "2.2", "2.3"))
    assert cards.count('<article class="initiative-card"') == 9
    assert cards.count('class="status-badge status-') == 9
    assert 'href="objective-2-1.html#initiative-2-11"' in cards
    assert "0.5% of neighbors served make up" in cards
    assert cards.count("Learn more") == 9 and "visually-hidden" in cards
    legend = p.status_legend().data
    for label in ("In Progress", "On Hold", "Complete/Ongoing"):
        assert label in legend
    context = p.context().data
    for anchor in (
        "measure-staffing",
        "measure-crime-part1",
        "measure-calls-911",
        "measure-calls-911-answered-15s",
    ):
        assert f"{{#{anchor}}}" in context
    assert "National standard: 90%" in context


def test_status_icons_are_svg_with_words_never_a_glyph_that_can_be_missing(sample_project):
    legend = page(sample_project, "goal").status_legend().data
    assert legend.count("<svg") == 3 and legend.count("<title>") == 3
    assert "\u23f8" not in legend and "\u25d0" not in legend  # glyphs Chromium on Debian lacks


def test_at_a_glance_lists_every_measure_with_icons_words_value_and_date(sample_project):
    p = page(sample_project, "goal")
    html = p.at_a_glance().data
    plan = p.settings.plan
    rows = re.findall(r'<tr role="row"><th scope="row" role="rowheader"><a href="([^"]+)">', html)
    assert len(rows) == len(plan.measures)
    assert "objective-2-1.html#measure-no-fault-crashes" in rows  # its own part of the page
    assert "objective-2-1.html#initiative-2-13" in rows  # shown only in the worked example
    for words in ("Real change: better", "Usual variation", "Not judged", "No target set"):
        assert f"<span>{words}</span>" in html
    # the only measure with a target (NENA's standard) gets the assurance icon and words
    assert html.count('class="icon assurance-icon') == 1
    assert "Target will be missed (National standard: 90%)" in html
    assert html.count('data-label="Data through">September 30, 2026</td>') == len(plan.measures)
    paths = {"params_dir": sample_project.params, "processed_dir": sample_project.processed}
    spanish = open_page("goal", "FY2027Q1", **paths, lang="es").at_a_glance()
    assert "A significa más alto de lo habitual" in spanish.data and ">A</text>" in spanish.data


def test_an_analysis_the_data_cannot_support_says_why_on_the_page(sample_project):
    p = page(sample_project, "2.1")
    late = p.before_after("no_fault_crashes_by_weekday", event="2026-08-15")
    assert not late.available
    shown = p.unavailable(late).data
    assert "This comparison cannot be made yet. The data end in July to September 2026" in shown
    assert 'class="analysis-unavailable"' in shown
    named = p.before_after("no_fault_crashes_by_weekday", event="Civilian investigators start")
    assert named.available and named.event.isoformat() == "2025-06-01"


def test_a_page_reads_only_what_the_plan_declares(sample_project):
    p = page(sample_project, "2.2")
    assert p.table("joint_events")["measure"].eq("joint_events").all()
    with pytest.raises(UndeclaredMeasure, match="not assign to it"):
        p.table("no_fault_crashes")
    assert set(p.params.initiatives) == {"2.21", "2.22", "2.23"}
    goal = page(sample_project, "goal")
    assert goal.params.initiatives["2.21"].whats_next == "(shown on the objective page)"


def test_yaml_text_is_escaped_wherever_it_becomes_a_page(project_copy):
    path = project_copy.quarters / "FY2027Q1.yml"
    data = yaml.safe_load(path.read_text())
    data["initiatives"]["2.21"]["whats_next"] = "<script>alert('x')</script> [click](http://e.x) **b**"
    data["initiatives"]["2.21"]["analysis"] = "<img src=x onerror=alert(1)>"
    path.write_text(yaml.safe_dump(data))
    p = page(project_copy, "2.2")
    text = p.initiative_outro("2.21").data + p.key_measures("2.21").data
    assert "<script>" not in text and "<img src=x" not in text
    assert "\\<script\\>" in text and "\\[click\\]" in text and "\\*\\*b\\*\\*" in text


def test_hidden_values_read_as_words_never_numbers(sample_project):
    text = page(sample_project, "2.1").key_measures("2.11").data
    assert "40 or more times: fewer than 10" in text
    assert "<td>fewer than 10</td>" in text


def test_pages_show_the_reporting_period_and_dates(sample_project):
    for name in ("goal", "2.3", "about"):
        p = page(sample_project, name)
        text = (
            p.goal_intro() if name == "goal" else p.objective_intro() if name == "2.3" else p.about_the_data()
        ).data
        assert "Data as of:</strong> October 15, 2026" in text
        assert "Next update:</strong> expected by January 31, 2027" in text


def test_a_past_quarter_page_uses_that_quarters_tables(sample_project):
    p = page(sample_project, "2.3", quarter="FY2026Q4")
    assert p.table("applications_quarter")["period"].iloc[-1] == "FY2026Q4"
    assert "Data as of:</strong> July 15, 2026" in p.objective_intro().data


def test_about_the_data_links_each_measure_to_the_page_that_shows_it(sample_project):
    text = page(sample_project, "about").about_the_data().html()
    weekday = text.split('id="about-measure-no-fault-crashes-by-weekday"')[1].split("</p>")[0]
    assert 'href="objective-2-1.html#initiative-2-13">Initiative 2.13' in weekday  # an analysis measure
    staffing = text.split('id="about-measure-staffing"')[1].split("</p>")[0]
    assert 'href="index.html#measure-staffing">Goal overview' in staffing


def test_a_district_page_shows_every_district_measure_on_the_districts_own_rows(sample_project):
    p = page(sample_project, "D3")
    intro = p.district_intro().data
    assert "These figures count the calls recorded in District 3 (West Durham)" in intro.replace("\\", "")
    text = p.district_measures().data
    for measure in ("calls-by-responder", "no-fault-crashes"):
        assert f"{{#measure-{measure}}}" in text
    assert 'href="../data/district-d3-no_fault_crashes.csv"' in text  # one folder down
    assert 'alt="Process chart of No Fault Vehicle Accidents (Police Calls)' in text
    rows = p.rows("no_fault_crashes")
    assert set(rows["district"]) == {"D3"}
    csv = sample_project.quarter_dir(LATEST) / "csv" / "district-d3-no_fault_crashes.csv"
    assert csv.read_text().splitlines()[0].startswith("measure,district,period,")
    limits = p.district_limits().data
    assert "Where officers patrol" in limits and "Calls with no district recorded" in limits


def test_a_district_series_with_hidden_months_is_not_drawn_point_by_point(sample_project):
    from helpers.measures.publication import read_quarter_districts

    districts = read_quarter_districts(sample_project, LATEST)
    hidden = districts[districts["suppressed"] & (districts["district"] != "not_recorded")].iloc[0]
    p = page(sample_project, hidden["district"])
    text = p.district_measures().data
    assert f"{hidden['series']}: too few to show safely." in text or "Too few to show safely." in text


def test_the_overview_compares_districts_by_a_stated_rate_with_map_panels_and_funnel(sample_project):
    p = page(sample_project, "districts")
    assert "per 1,000 residents" in p.districts_intro().data
    shown = p.district_map()
    assert 'alt="Map of the 5 police districts, shaded by calls per 1,000 residents' in shown.data
    ((name, csv),) = shown.downloads.items()
    assert name == "districts-index-map.csv" and "District not recorded" in csv  # never dropped
    assert csv.splitlines()[0].startswith('Area,Calls,Residents,"Calls per 1,000 residents"')
    panels = p.district_panels().data
    assert "one panel for the city and one for each police district, on the same scale" in panels
    funnel = p.district_funnel().data
    assert "outside the funnel" in funnel.replace("\\", "") and "99.8%" in funnel
    links = p.district_links().data
    assert [m for m in re.findall(r'href="\.\./districts/(d\d)\.html"', links)] == [
        "d2",
        "d3",
        "d5",
        "d1",
        "d4",
    ]


def test_the_overview_links_the_downloads_of_the_calls_with_no_district(sample_project):
    # They have no page of their own, so the overview is where a resident finds their figures.
    p = page(sample_project, "districts")
    links = p.district_links().data
    found = re.findall(r'href="\.\./data/(district-not-recorded-[a-z_]+\.csv)" download', links)
    assert found == [f"district-not-recorded-{m}.csv" for m in ["calls_by_responder", "no_fault_crashes"]]
    for name in found:
        assert (sample_project.quarter_dir(LATEST) / "csv" / name).exists()
    assert "911 calls by responding department, month by month (CSV)" in links
