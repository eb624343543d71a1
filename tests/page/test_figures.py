"""An analyst's own figure gets a measure's guarantees: alt text, table, CSV, source, privacy gate."""

from __future__ import annotations

import subprocess
import sys

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from helpers.measures.gate import PrivacyError
from helpers.page.figures import FigureError
from helpers.page.fragments import FRAGMENT_KEY
from helpers.report import UndeclaredMeasure, open_page

pytestmark = pytest.mark.slow


@pytest.fixture
def page(sample_project):
    return open_page(
        "2.1", "FY2027Q1", params_dir=sample_project.params, processed_dir=sample_project.processed
    )


def test_a_published_figure_has_alt_text_table_csv_and_source(page):
    crashes = page.before_after("no_fault_crashes_by_weekday", event="Civilian investigators start")
    fig, ax = plt.subplots()
    ax.barh(crashes.table.index, crashes.table.iloc[:, 0])
    part = page.figure(fig, caption="Crash calls by day", data=crashes.table)
    assert fig.number not in plt.get_fignums()  # not shown a second time by the inline backend
    data, meta = part._repr_mimebundle_()
    html = data["text/html"]
    assert '<img class="chart" src="data:image/png;base64,' in html
    assert 'alt="Chart: Crash calls by day. Data (Day of the week; Before: average per quarter' in html
    assert "Monday, " in html and "Source: 911 and dispatch records (CAD)" in html
    assert "Data through September 30, 2026." in html
    assert '<summary>Data table<span class="visually-hidden">: Crash calls by day</span>' in html
    assert 'Download the data (CSV)<span class="visually-hidden"> for Crash calls by day</span>' in html
    assert '<th scope="row">Sunday</th>' in html
    assert '<a href="data/objective-2-1-crash-calls-by-day.csv" download>' in html
    csv = meta[FRAGMENT_KEY]["downloads"]["objective-2-1-crash-calls-by-day.csv"]
    lines = csv.splitlines()
    assert lines[0].startswith('Day of the week,"Before: average per quarter, April 2024 to March 2025"')
    assert lines[0].endswith(",Change (%),data_through,source,sample_data")
    assert lines[1].startswith("Monday,") and len(lines) == 8
    assert ',2026-09-30,911 and dispatch records (CAD),"yes: synthetic sample data' in lines[1]


def test_small_counts_of_people_are_refused_naming_the_cell(page):
    fig, _ = plt.subplots()
    data = pd.DataFrame({"calls": [120, 3, 45]}, index=pd.Index(["Monday", "Tuesday", "Wednesday"]))
    data.attrs["measure"] = "no_fault_crashes_by_weekday"
    with pytest.raises(PrivacyError, match=r"3 in row 'Tuesday', column 'calls'.*at least 10"):
        page.figure(fig, caption="Calls", data=data)
    data.loc["Tuesday", "calls"] = 0  # zero is publishable
    page.figure(fig, caption="Calls", data=data)
    rates = pd.DataFrame({"calls": [120, 45], "change": [3.5, -12.0]}, index=["Monday", "Tuesday"])
    page.figure(fig, caption="Calls", data=rates, measure="no_fault_crashes_by_weekday", rates=["change"])
    plt.close("all")


def test_figures_need_alt_text_a_caption_and_a_declared_measure(page):
    fig, _ = plt.subplots()
    with pytest.raises(FigureError, match="alt text"):
        page.figure(fig, caption="Calls", measure="no_fault_crashes")
    with pytest.raises(FigureError, match="which measure"):
        page.figure(fig, caption="Calls", data=pd.DataFrame({"calls": [120]}))
    with pytest.raises(UndeclaredMeasure):
        page.figure(fig, caption="Calls", alt="A chart", measure="joint_events")
    with pytest.raises(FigureError, match="not the raw gated rows"):
        page.figure(fig, caption="Calls", data=page.table("no_fault_crashes"))
    part = page.figure(fig, caption="Calls", alt="Calls fell on weekdays.", measure="no_fault_crashes")
    assert 'alt="Calls fell on weekdays."' in part.html() and not part.downloads
    plt.close("all")


def test_sentences_come_from_the_quarter_file_with_computed_numbers(page):
    crashes = page.before_after("no_fault_crashes_by_weekday", event="2025-06-01")
    text = page.text("2.13.weekdays_finding", **crashes.facts())
    assert text.startswith(
        "In the 4 quarters before civilian investigators started (April 2024 to March 2025)"
    )
    assert "% fewer." in text and "{" not in text
    with pytest.raises(KeyError, match=r"texts: \{nope: \.\.\.\}.*FY2027Q1\.yml"):
        page.say("2.13.nope")
    with pytest.raises(KeyError, match=r"uses \{before_quarters\}"):
        page.say("2.13.weekdays_finding")
    assert page.say("Literal <b>text</b>").html() == "<p>Literal &lt;b&gt;text&lt;/b&gt;</p>"


def test_report_charts_leave_the_notebook_backend_alone():
    code = "import matplotlib; import helpers.report, helpers.page.charts; print(matplotlib.get_backend())"
    env = {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "module://matplotlib_inline.backend_inline"
