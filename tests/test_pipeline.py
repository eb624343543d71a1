"""Integration: sample data -> ingest -> every measure, for every quarter, at Durham's magnitudes."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from helpers.cli import main
from helpers.core.periods import FiscalQuarter, periods_for
from helpers.data.ingest import load_canonical
from helpers.measures.build import compute_quarter, previous_publication, read_quarter_frame
from helpers.measures.gate import audit
from helpers.params.quarters import load_quarter, read_publication
from helpers.params.settings import load_settings

from .conftest import LATEST, PREVIOUS

pytestmark = pytest.mark.slow

FIRST_QUARTER = FiscalQuarter.parse("FY2023Q1")


def tree_hash(folder) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_every_measure_has_a_value_for_every_quarter(sample_project):
    settings = load_settings(sample_project)
    frame = read_quarter_frame(sample_project, LATEST)
    quarters = periods_for("quarter", FIRST_QUARTER.start, date(2026, 9, 30))
    assert len(quarters) == 17
    for measure in settings.plan.measures:
        rows = frame[frame["measure"] == measure.id]
        assert not rows.empty, measure.id
        for quarter in quarters:
            if measure.grain == "calendar_year":
                inside = rows[(rows["period_start"] <= quarter.end) & (rows["period_end"] >= quarter.start)]
            else:
                inside = rows[(rows["period_end"] >= quarter.start) & (rows["period_end"] <= quarter.end)]
            assert len(inside) > 0, f"{measure.id} has no value for {quarter.id}"
            assert (inside["value"].notna() | inside["suppressed"]).all(), f"{measure.id} {quarter.id}"


def test_download_csvs_match_the_tables_and_say_they_are_sample(sample_project):
    publication = read_publication(sample_project, LATEST)
    assert publication.sample_data is True
    for measure_id, info in publication.measures.items():
        csv_path = sample_project.quarter_dir(LATEST) / info.csv
        assert hashlib.sha256(csv_path.read_bytes()).hexdigest() == info.csv_sha256
        csv = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        assert len(csv) == info.rows, measure_id
        assert (csv["sample_data"] == "yes: synthetic sample data, not City records").all()
        assert {"measure", "period", "period_label", "series", "note", "data_through", "source"} <= set(csv)
        hidden = csv[csv["note"].str.startswith("hidden")]
        assert len(hidden) == info.suppressed


def test_published_limits_are_recomputed_from_the_csvs_own_values(sample_project):
    """Anyone can check a verdict: the limits in each download come from its own values."""
    from helpers.measures.spc import process

    settings = load_settings(sample_project)
    publication = read_publication(sample_project, LATEST)
    checked = 0
    for measure in settings.plan.measures:
        csv = pd.read_csv(sample_project.quarter_dir(LATEST) / publication.measures[measure.id].csv)
        if measure.process.chart == "none":
            assert csv["process_chart"].isna().all() and csv["point_type"].isna().all(), measure.id
            continue
        value = csv.columns[4]  # measure, period, period_label, series, then the value
        for _, part in csv[csv["process_chart"].notna()].groupby("series"):
            judged = (part["data_status"] == "complete").to_numpy()
            extra = {}
            if measure.process.chart != "xmr":
                numerator, denominator = part.columns[5], part.columns[6]
                extra = {"numerators": part[numerator], "denominators": part[denominator], "scale": 100.0}
            again = process(
                part[value],
                direction=measure.better,
                segments=part["segment"] - 1,
                judged=judged,
                chart=measure.process.chart,
                screen=measure.process.screen,
                **extra,
            )
            assert again.mean == pytest.approx(part["process_mean"].to_numpy(), rel=1e-9), measure.id
            assert again.lower == pytest.approx(part["lower_process_limit"].to_numpy(), rel=1e-9)
            assert again.upper == pytest.approx(part["upper_process_limit"].to_numpy(), rel=1e-9)
            assert list(again.point_type) == part["point_type"].fillna("").tolist(), measure.id
            checked += 1
    assert checked >= 10
    no_fault = pd.read_csv(sample_project.quarter_dir(LATEST) / publication.measures["no_fault_crashes"].csv)
    assert set(no_fault.loc[no_fault["period"] >= "2025-06", "segment"]) == {2}  # the declared change
    assert set(no_fault.loc[no_fault["period"] < "2025-06", "segment"]) == {1}


def test_the_published_tables_leave_nothing_recoverable(sample_project):
    settings = load_settings(sample_project)
    current = read_quarter_frame(sample_project, LATEST)
    previous = read_quarter_frame(sample_project, PREVIOUS)
    assert audit(current, settings.populations(), previous) == []
    counts = read_publication(sample_project, LATEST).privacy.model_dump()
    assert counts["primary"]["fn_repeat_bands"] > 0  # the 40+ band is always small
    assert counts["concentration"] == {"fn_concentration": 1}  # the 3-month window at the start


def test_rebuilding_gives_byte_identical_outputs(sample_project, tmp_path):
    settings = load_settings(sample_project)
    quarter = FiscalQuarter.parse("FY2027Q1")
    params = load_quarter(sample_project, settings.plan, quarter)
    before = tree_hash(sample_project.quarter_dir(quarter) / "csv")
    parquet_before = tree_hash(sample_project.quarter_dir(quarter) / "measures")
    from helpers.measures.build import build_quarter

    build_quarter(settings, quarter, params)
    assert tree_hash(sample_project.quarter_dir(quarter) / "csv") == before
    assert tree_hash(sample_project.quarter_dir(quarter) / "measures") == parquet_before


def test_a_past_quarter_is_reproduced_from_a_later_extract(sample_project):
    """The raw data runs to September; FY2026Q4's report uses only what it could have seen."""
    settings = load_settings(sample_project)
    stored = read_quarter_frame(sample_project, PREVIOUS)
    previous = previous_publication(settings, FiscalQuarter.parse("FY2026Q4"))
    again = compute_quarter(
        settings,
        FiscalQuarter.parse("FY2026Q4"),
        load_quarter(sample_project, settings.plan, PREVIOUS),
        previous,
    ).frame
    columns = ["measure", "period", "series", "value", "numerator", "denominator", "suppressed"]

    def ordered(frame):
        return frame[columns].sort_values(columns[:3]).reset_index(drop=True)

    pd.testing.assert_frame_equal(ordered(stored), ordered(again))
    assert stored["period_end"].max() == date(2026, 6, 30)


def test_sample_data_has_durhams_magnitudes(sample_project):
    cad = load_canonical(
        sample_project, "cad_events", ["received_at", "agency", "call_type", "disposition", "person_key"]
    )
    days = cad["received_at"].dt.normalize().nunique()
    assert 900 <= len(cad) / days <= 1150  # about 1,000 calls a day
    year = cad[(cad["received_at"] >= "2023-07-01") & (cad["received_at"] < "2024-07-01")]
    police = year[year["agency"] == "DPD"]
    assert 115_000 <= len(police) <= 140_000  # about 128,800 police calls a year
    before_pilot = police[police["received_at"] < "2025-06-01"]
    no_fault = before_pilot["call_type"] == "VEHICLE ACCIDENT - NO FAULT"
    assert 0.04 <= no_fault.mean() <= 0.08
    first_year = cad[(cad["received_at"] < "2023-07-01") & (cad["agency"] == "DCSD")]
    assert 5_500 <= len(first_year) <= 7_500  # ~6,500 crisis responses in HEART's first year
    frame = read_quarter_frame(sample_project, LATEST)
    police_vacancy = frame[(frame["measure"] == "vacancy_rate") & (frame["series"] == "Police")]
    assert police_vacancy["value"].min() >= 14 and police_vacancy["value"].max() <= 31
    events = frame[frame["measure"] == "joint_events"].set_index("period")["value"]
    assert events["2024-10"] >= 20 and events["2025-10"] >= 20 and events.median() <= 3
    tutoring = frame[(frame["measure"] == "tutoring_attendance") & ~frame["suppressed"]]
    averages = tutoring.groupby("series")["value"].mean()
    assert 34 <= averages["Eastway Elementary School"] <= 50
    assert 13 <= averages["Boys & Girls Club"] <= 22
    crashes = frame[frame["measure"] == "no_fault_crashes"].set_index("period")["value"]
    assert crashes["2026-09"] < 0.8 * crashes["2024-09"]  # the civilian pilot story


def test_a_quarter_beyond_the_data_is_a_gap_never_a_zero(sample_project):
    settings = load_settings(sample_project)
    tables = compute_quarter(settings, FiscalQuarter.parse("FY2027Q2"), None, None)
    for measure_id, status in tables.status.items():
        source = settings.sources.sources[status["source"]]
        if source.expected != "sparse":  # event logs tolerate a gap of freshness_days
            assert status["status"] == "incomplete", measure_id
    assert tables.status["calls_911"]["data_through"] == "2026-09-30"
    assert tables.sources["cad_events"].status == "missing"
    calls = tables.frame[tables.frame["measure"] == "calls_911"].set_index("period")
    for month in ("2026-10", "2026-11", "2026-12"):
        assert calls.loc[month, "status"] == "missing" and pd.isna(calls.loc[month, "value"])
        assert calls.loc[month, "point_type"] == ""  # a gap is never judged
    assert calls.loc["2026-09", "status"] == "complete" and calls.loc["2026-09", "value"] > 30_000


def test_stale_data_fails_when_the_params_say_so(project_copy):
    from helpers.measures.build import StaleDataError

    settings = load_settings(project_copy)
    params = load_quarter(project_copy, settings.plan, LATEST)
    params = params.model_copy(update={"if_stale": {"calls_911": "fail"}})
    cad = project_copy.canonical / "cad_events.parquet"
    table = pd.read_parquet(cad)
    table[table["received_at"] < "2026-09-01"].to_parquet(cad, index=False)
    with pytest.raises(StaleDataError, match=r"62 of 92 days.*calls_911.*mark_unavailable"):
        compute_quarter(settings, FiscalQuarter.parse("FY2027Q1"), params, None)


def test_corrupted_csv_gives_the_error_table_exit_2_and_unchanged_outputs(project_copy, caplog):
    processed_before = tree_hash(project_copy.processed)
    raw = project_copy.raw / "crime" / "part1_incidents_2025.csv"
    lines = raw.read_text().splitlines()
    lines[5] = lines[5].replace("2025-", "2025/", 1)  # an unparseable date on spreadsheet row 6
    lines[9] = lines[9] + ",extra"  # a malformed row
    raw.unlink()  # hard-linked from the session project: replace, never edit in place
    raw.write_text("\n".join(lines) + "\n")
    code = main(["--root", str(project_copy.root), "ingest"])
    assert code == 2
    err = caplog.text
    assert "Nothing was written" in err
    table = [line.split() for line in err.splitlines() if "crime/part1_incidents_2025.csv" in line]
    assert table[1][2:5] == ["6", "reported_date", "2025/01-01"] or any(
        row[2:5] == ["6", "reported_date", "2025/01-01"] for row in table
    )
    assert any(row[2] == "10" and "fields," in row for row in table)  # the malformed row, by number
    assert "value is required" not in err  # an unparseable cell is reported once, not twice
    assert tree_hash(project_copy.processed) == processed_before


def test_cli_run_without_quarto_stops_after_execution_with_instructions(project_copy, caplog, monkeypatch):
    from .conftest import write_fixture_notebooks

    monkeypatch.delenv("QUARTO_PATH", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setattr("helpers.site.quarto.find_quarto", lambda: None)
    write_fixture_notebooks(project_copy)
    assert main(["--root", str(project_copy.root), "run", "--workers", "2"]) == 0
    err = caplog.text
    assert "Quarto was not found" in err and "pip install quarto-cli" in err
    assert "conda-forge" in err and str(project_copy.executed_notebooks(LATEST)) in err
    assert main(["--root", str(project_copy.root), "run", "--require-site"]) == 5
    shutil.rmtree(project_copy.build)


def test_sample_data_is_deterministic(sample_project, tmp_path):
    from helpers.core.paths import ProjectPaths
    from helpers.sample.generate import generate

    again = ProjectPaths(tmp_path)
    generate(again)

    def hashes(paths):
        return {
            p.relative_to(paths.raw).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(paths.raw.rglob("*"))
            if p.is_file()
        }

    first = hashes(sample_project)
    assert first == hashes(again)
    assert {
        "cad/cad_events_FY2027.csv",
        "hr/staffing_snapshots.xlsx",
        "web/data_page_views.parquet",
        "SAMPLE_DATA.json",
    } <= set(first)


def _rewrite_cad(paths, change) -> None:
    """Apply ``change`` (a pyarrow table -> table) to every raw CAD file, as another export would be."""
    import pyarrow.csv as pacsv

    for path in sorted((paths.raw / "cad").glob("*.csv")):
        table = change(pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True)))
        path.unlink()  # hard-linked from the session project: replace, never edit in place
        pacsv.write_csv(table, path)


@pytest.fixture
def cad_without_a_quarter(project_copy, fake_quarto):
    """The sample with no CAD records for April to June 2026 (FY2026 Q4), built and published."""
    import pyarrow.compute as pc

    from helpers.run.runner import run_quarter

    def drop_quarter(table):
        received = table.column("Call Received")
        months = pc.utf8_slice_codeunits(received, 0, 2)
        year = pc.utf8_slice_codeunits(received, 6, 10)
        inside = pc.and_(pc.equal(year, "2026"), pc.is_in(months, value_set=pa.array(["04", "05", "06"])))
        return table.filter(pc.invert(inside))

    _rewrite_cad(project_copy, drop_quarter)
    run_quarter(project_copy, LATEST, workers=2)
    return project_copy


def test_a_quarter_without_records_is_missing_never_zero_and_never_compared(cad_without_a_quarter):
    from helpers.report import open_page

    paths = cad_without_a_quarter
    frame = read_quarter_frame(paths, LATEST)
    calls = frame[frame["measure"] == "calls_911"].set_index("period")
    gap = ["2026-04", "2026-05", "2026-06"]
    assert (calls.loc[gap, "status"] == "missing").all() and calls.loc[gap, "value"].isna().all()
    assert (calls.loc[gap, "point_type"] == "").all()  # never judged, never in the limits
    crashes = frame[frame["measure"] == "no_fault_crashes"].set_index("period")
    assert crashes.loc[gap, "value"].isna().all()  # gaps, not zeros
    csv = pd.read_csv(paths.quarter_dir(LATEST) / "csv" / "calls_911.csv", dtype=str, keep_default_na=False)
    row = csv[csv["period"] == "2026-05"].iloc[0]
    assert row["Calls received"] == "" and row["data_status"] == "no data: 0 of 31 days have records"
    assert row["lower_process_limit"] == "" and row["point_type"] == ""
    page = open_page("goal", LATEST.id, params_dir=paths.params, processed_dir=paths.processed)
    sentence = page.compare("calls_911")
    assert "usual range" in sentence and "previous quarter" not in sentence
    html = page.context().html()
    assert '<th scope="row">May 2026</th><td>All calls</td><td>no data</td>' in html
    assert "No data for April 2026, May 2026 and June 2026." in html  # in the chart's alt text
    published = (paths.site / "index.html").read_text()  # the built site says the same
    assert '<th scope="row">May 2026</th><td>All calls</td><td>no data</td>' in published


def test_the_reporting_quarter_with_a_gap_is_marked_or_stops_the_build(project_copy):
    import pyarrow.compute as pc

    from helpers.core.cache import helpers_code_hash
    from helpers.measures.build import StaleDataError
    from helpers.report import open_page
    from helpers.run.runner import ensure_ingested, ensure_measures

    def drop_august(table):
        received = table.column("Call Received")
        august = pc.and_(pc.starts_with(received, "08/"), pc.match_substring(received, "/2026 "))
        return table.filter(pc.invert(august))

    _rewrite_cad(project_copy, drop_august)
    settings = load_settings(project_copy)
    quarter = FiscalQuarter.parse("FY2027Q1")
    params = load_quarter(project_copy, settings.plan, quarter)
    ensure_ingested(settings, helpers_code_hash())
    ensure_measures(settings, quarter, params, helpers_code_hash(), force=True)
    publication = read_publication(project_copy, quarter)
    assert publication.sources["cad_events"].status == "partial"
    assert publication.sources["cad_events"].gaps == [["2026-08-01", "2026-08-31"]]
    assert publication.measures["calls_911"].status == "incomplete"
    page = open_page("goal", quarter.id, params_dir=project_copy.params, processed_dir=project_copy.processed)
    sentence = page.compare("calls_911")
    assert "from incomplete data (61 of 92 days have records)" in sentence
    assert "previous quarter" not in sentence and "A year earlier" not in sentence
    assert "Incomplete data this quarter." in page.context().html()
    strict = params.model_copy(update={"require_complete": ["cad_events"]})
    with pytest.raises(StaleDataError, match=r"cad_events.*61 of 92 days.*2026-08-01 to 2026-08-31"):
        compute_quarter(settings, quarter, strict, None)


def test_an_export_without_answer_times_shows_not_available_never_zero(project_copy):
    from helpers.core.cache import helpers_code_hash
    from helpers.report import open_page
    from helpers.run.runner import ensure_ingested, ensure_measures

    _rewrite_cad(project_copy, lambda table: table.drop_columns(["Answer Seconds"]))
    config = project_copy.params / "sources.yml"
    config.write_text(
        config.read_text().replace(
            'seconds_to_answer: {from: "Answer Seconds", type: integer, min: 0, max: 3600}',
            'seconds_to_answer: {from: "Answer Seconds", type: integer, min: 0, max: 3600, required: false}',
        )
    )
    settings = load_settings(project_copy)
    quarter = FiscalQuarter.parse("FY2027Q1")
    ensure_ingested(settings, helpers_code_hash())
    ensure_measures(
        settings, quarter, load_quarter(project_copy, settings.plan, quarter), helpers_code_hash()
    )
    frame = read_quarter_frame(project_copy, quarter)
    answered = frame[frame["measure"] == "calls_911_answered_15s"]
    assert answered["status"].eq("not_available").all() and answered["value"].isna().all()
    page = open_page("goal", quarter.id, params_dir=project_copy.params, processed_dir=project_copy.processed)
    assert page.compare("calls_911_answered_15s") == (
        "Calls answered within 15 seconds: not available for July to September 2026 (FY2027 Q1), because "
        "the export has no values in seconds_to_answer for this period."
    )
    csv = (project_copy.quarter_dir(quarter) / "csv" / "calls_911_answered_15s.csv").read_text()
    assert "0.0" not in csv and "not available: the export has no values in seconds_to_answer" in csv
