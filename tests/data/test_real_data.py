"""Real public Durham data maps in through a sources YAML alone (no code changes).

Skipped where ../shared/data/real is absent; the project never depends on it.
"""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest

from helpers.core.language import ENGLISH
from helpers.core.paths import ProjectPaths
from helpers.data.ingest import SourceValidationError, ingest, load_canonical
from helpers.measures.build import compute, prepare
from helpers.params.plan import load_plan
from helpers.params.sources import load_sources

from ..conftest import FIXTURES, REPO, SHARED_REAL

pytestmark = [
    pytest.mark.real_data,
    pytest.mark.skipif(not SHARED_REAL.exists(), reason="../shared/data/real is not present"),
]


@pytest.fixture
def real_project(tmp_path, monkeypatch) -> ProjectPaths:
    monkeypatch.setenv("REAL_TEST_KEY", "real-data-test-key")
    root = tmp_path / "real"
    (root / "params").mkdir(parents=True)
    shutil.copy(FIXTURES / "real_sources.yml", root / "params" / "sources.yml")
    raw = root / "data" / "raw"
    (raw / "dpd").mkdir(parents=True)
    (root / "data" / "processed").mkdir(parents=True)
    shutil.copy(SHARED_REAL / "durham-pd-crime-2013" / "durham_pd_part1_incidents_2013.csv", raw / "dpd")
    shutil.copy(SHARED_REAL / "fbi-ucr-durham-pd" / "durham_pd_staffing_by_year.csv", raw / "dpd")
    return ProjectPaths(root)


def plan_measure(measure_id: str):
    return load_plan(REPO / "params" / "plan.yml").measure(measure_id)


def test_the_real_duplicate_case_number_is_caught(real_project):
    config = real_project.params / "sources.yml"
    config.write_text(config.read_text().replace('from: "row_id"', 'from: "incident_number"'))
    with pytest.raises(SourceValidationError) as caught:
        ingest(real_project, load_sources(config), today=date(2026, 10, 1))
    table = caught.value.failures
    assert (table["check"] == "duplicate event (this id appears earlier)").sum() == 1
    assert table.iloc[0]["file"] == "dpd/durham_pd_part1_incidents_2013.csv"


def test_durham_pd_2013_incidents_give_crime_levels(real_project):
    ingest(real_project, load_sources(real_project.params / "sources.yml"), today=date(2026, 10, 1))
    crimes = load_canonical(real_project, "crime_incidents")
    assert len(crimes) == 12_217
    counts = crimes["offence_class"].value_counts()
    # The README's totals: larceny 6,003 + burglary 2,952 + MV theft 656 + arson 28 = 9,639;
    # robbery 532 + rape 69 + homicide 22 + aggravated assaults.
    assert counts["property"] == 9_639
    assert counts["violent"] == 532 + 69 + 22 + (crimes["offence"] == "Aggravated Assault").sum()
    data = prepare(crimes, "reported_date", date(2013, 9, 30))
    rows = compute(plan_measure("crime_part1"), data, date(2013, 9, 30))
    by = {(r.period, r.series): r.value for r in rows.itertuples()}
    reported = pd.to_datetime(crimes["reported_date"])
    jan_mar = crimes[(reported >= "2013-01-01") & (reported <= "2013-03-31")]
    months = ("2013-01", "2013-02", "2013-03")
    assert sum(by[(m, "Property crimes")] for m in months) == (jan_mar["offence_class"] == "property").sum()


def test_fbi_ucr_staffing_gives_staffing_levels(real_project):
    ingest(real_project, load_sources(real_project.params / "sources.yml"), today=date(2026, 10, 1))
    staffing = load_canonical(real_project, "staffing_snapshots")
    assert staffing["authorised"].isna().all()  # UCR has no authorised positions: left empty
    data = prepare(staffing, "as_of", date(2017, 12, 31))
    rows = compute(plan_measure("staffing"), data, date(2017, 12, 31))
    sworn = {r.period: r.value for r in rows[rows["series"] == "Police"].itertuples()}
    # UCR counts are as of each year; the snapshot dated January 1 falls in FY Q3.
    assert sworn["FY2013Q3"] == 517 and sworn["FY2017Q3"] == 505


def test_durham_pd_2013_ends_in_november_which_shows_as_partial(real_project):
    from helpers.data.coverage import SourceCoverage
    from helpers.measures.build import apply_coverage

    config = load_sources(real_project.params / "sources.yml")
    result = ingest(real_project, config, today=date(2026, 10, 1))
    record = result.record.sources["crime_incidents"]
    assert record.last_date == "2013-11-22"
    cover = SourceCoverage(config.sources["crime_incidents"], record.days)
    november = cover.period(date(2013, 11, 1), date(2013, 11, 30))
    assert november.status == "partial" and november.describe(ENGLISH) == "22 of 30 days have records"
    assert cover.period(date(2013, 12, 1), date(2013, 12, 31)).status == "missing"
    assert cover.period(date(2013, 7, 1), date(2013, 9, 30)).complete  # no day without reports
    crimes = load_canonical(real_project, "crime_incidents")
    rows = compute(
        plan_measure("crime_part1"), prepare(crimes, "reported_date", date(2013, 12, 31)), date(2013, 12, 31)
    )
    rows = apply_coverage(rows, cover).set_index(["period", "series"])
    assert rows.loc[("2013-11", "Violent crimes"), "status"] == "partial"
    assert rows.loc[("2013-10", "Violent crimes"), "status"] == "complete"
    assert ("2013-12", "Violent crimes") not in rows.index or rows.loc[
        ("2013-12", "Violent crimes"), "status"
    ] == "missing"
