"""Each measure kind against small hand-computed fixtures (exact values)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from helpers.data.coverage import SourceCoverage
from helpers.measures.build import apply_coverage, compute, prepare
from helpers.params.measure import Measure

END = date(2026, 9, 30)


def measure(**overrides) -> Measure:
    base = {
        "id": "m",
        "caption": "M",
        "short_label": "M",
        "definition": "d",
        "method": "m",
        "unit": "count",
        "value_label": "Things",
        "grain": "month",
        "better": "increase",
        "source": "s",
        "privacy": "aggregate",
        "kind": "count",
        "chart": {"type": "line"},
        "process": {"chart": "xmr"},
    }
    return Measure.model_validate({**base, **overrides})


def source_spec(**overrides):
    from helpers.params.sources import SourceSpec

    base = {
        "title": "T",
        "publisher": "P",
        "description": "D",
        "files": "x.csv",
        "format": "csv",
        "expected": "daily",
        "date_column": "when",
        "columns": {"when": {"from": "When", "type": "date"}},
    }
    return SourceSpec.model_validate({**base, **overrides})


def data(rows: list[dict], date_column: str = "when", end: date = END):
    frame = pd.DataFrame(rows)
    frame[date_column] = pd.to_datetime(frame[date_column])
    return prepare(frame, date_column, end)


def values(frame: pd.DataFrame, series: str | None = None) -> dict[str, float]:
    rows = frame if series is None else frame[frame["series"] == series]
    return dict(zip(rows["period"], rows["value"]))


CALLS = [
    {"when": "2026-07-03", "agency": "DPD", "type": "CRASH", "disp": "CLEARED", "secs": 4},
    {"when": "2026-07-20", "agency": "DPD", "type": "CRASH", "disp": "CIVILIAN REPORT", "secs": 30},
    {"when": "2026-07-21", "agency": "DFD", "type": "CRASH", "disp": "CLEARED", "secs": 15},
    {"when": "2026-09-02", "agency": "DPD", "type": "CRASH", "disp": "CLEARED", "secs": 16},
    {"when": "2026-09-09", "agency": "DPD", "type": "ALARM", "disp": "CLEARED", "secs": 2},
]


def test_count_with_filters_per_month_including_empty_months():
    m = measure(
        where={"agency": {"in": ["DPD"]}, "type": {"in": ["CRASH"]}, "disp": {"not_in": ["CIVILIAN REPORT"]}}
    )
    out = compute(m, data(CALLS), END)
    assert values(out) == {"2026-07": 1.0, "2026-08": 0.0, "2026-09": 1.0}


def test_count_by_series_with_total_and_atoms_for_people():
    m = measure(
        grain="quarter",
        privacy="person_events",
        population="calls",
        series_by={
            "column": "agency",
            "labels": {"DPD": "Police", "DFD": "Fire"},
            "order": ["DPD", "DFD"],
            "total": "Both",
        },
    )
    out = compute(m, data(CALLS), END)
    assert values(out, "Police") == {"FY2027Q1": 4.0}
    assert values(out, "Fire") == {"FY2027Q1": 1.0}
    assert values(out, "Both") == {"FY2027Q1": 5.0}
    total = out[out["series"] == "Both"].iloc[0]
    assert sorted(total["atoms"]) == sorted(
        f"calls|{code}|2026-{m:02d}" for code in ("DPD", "DFD") for m in (7, 8, 9)
    )
    assert total["privacy_counts"] == [5.0]


def test_calendar_year_counts_year_to_date():
    rows = [{"when": d} for d in ("2025-03-01", "2025-11-30", "2026-01-05", "2026-08-01")]
    out = compute(measure(grain="calendar_year"), data(rows), END)
    assert values(out) == {"CY2025": 2.0, "CY2026-YTD-09": 2.0}


def test_share_of_calls_answered_within_15_seconds():
    m = measure(
        kind="share",
        unit="percent",
        grain="quarter",
        privacy="person_events",
        numerator_where={"secs": {"le": 15}},
    )
    row = compute(m, data(CALLS), END).iloc[0]
    assert (row["numerator"], row["denominator"], row["value"]) == (3.0, 5.0, 60.0)
    assert row["count"] == 5.0  # the calls behind the share
    assert row["privacy_counts"] == [3.0, 2.0]  # answered, and not answered, in time


def test_mean_per_site_skips_months_without_sessions():
    rows = [
        {"when": "2026-05-05", "site": "A", "students": 40},
        {"when": "2026-05-12", "site": "A", "students": 44},
        {"when": "2026-05-12", "site": "B", "students": 9},
        {"when": "2026-09-01", "site": "A", "students": 38},
    ]
    m = measure(kind="mean", unit="average", value="students", privacy="people", series_by={"column": "site"})
    out = compute(m, data(rows), END)
    summer = out[(out["series"] == "A") & out["period"].isin(["2026-06", "2026-07", "2026-08"])]
    assert summer["status"].eq("no_records").all() and summer["value"].isna().all()
    # The log covers the summer (no sessions were held): those months are left out, not zeros.
    log = SourceCoverage(source_spec(expected="sparse", freshness_days=100), {r["when"]: 1 for r in rows})
    out = apply_coverage(out, log)
    assert values(out, "A") == {"2026-05": 42.0, "2026-09": 38.0}
    assert values(out, "B") == {"2026-05": 9.0}
    b = out[out["series"] == "B"].iloc[0]
    assert (b["numerator"], b["denominator"], b["privacy_counts"]) == (9.0, 1.0, [9.0])


def test_sum_by_quarter():
    rows = [
        {"when": "2026-07-01", "dept": "DPD", "views": 100},
        {"when": "2026-08-01", "dept": "DPD", "views": 150},
        {"when": "2026-09-01", "dept": "DCSD", "views": 70},
    ]
    m = measure(kind="sum", value="views", grain="quarter", series_by={"column": "dept"})
    out = compute(m, data(rows), END)
    assert values(out, "DPD") == {"FY2027Q1": 250.0}
    assert values(out, "DCSD") == {"FY2027Q1": 70.0}


def test_snapshot_uses_the_last_snapshot_of_each_quarter():
    rows = [
        {"when": "2026-07-31", "dept": "DPD", "authorised": 600, "filled": 450},
        {"when": "2026-09-30", "dept": "DPD", "authorised": 600, "filled": 480},
        {"when": "2026-09-30", "dept": "DFD", "authorised": 400, "filled": 380},
    ]
    common = {
        "kind": "snapshot",
        "grain": "quarter",
        "numerator": "filled",
        "denominator": "authorised",
        "series_by": {"column": "dept"},
    }
    filled = compute(measure(value="numerator", unit="positions", **common), data(rows), END)
    assert values(filled, "DPD") == {"FY2027Q1": 480.0}
    vacancy = compute(measure(value="gap_rate", unit="percent", **common), data(rows), END)
    assert values(vacancy, "DPD") == {"FY2027Q1": 20.0}
    assert values(vacancy, "DFD") == {"FY2027Q1": 5.0}


def _contacts(person: str, agency: str, months: list[str]) -> list[dict]:
    return [{"when": f"{m}-15", "person_key": person, "agency": agency} for m in months]


FAMILIAR = (
    _contacts("a", "DPD", ["2025-11", "2026-01", "2026-03", "2026-05", "2026-08"])  # 5 in window
    + _contacts("a", "DCSD", ["2026-09"])
    + _contacts("b", "DPD", ["2026-07", "2026-08"])
    + _contacts("c", "DCSD", ["2025-10", "2025-12", "2026-02", "2026-04", "2026-07"])
    + [{"when": "2026-09-01", "person_key": None, "agency": "DPD"}]
)


def test_familiar_neighbor_interactions_use_the_trailing_window():
    m = measure(
        kind="familiar_neighbor_interactions",
        grain="quarter",
        privacy="person_events",
        familiar={
            "person": "person_key",
            "agency": "agency",
            "agencies": ["DPD", "DFD", "DCSD"],
            "threshold": 5,
        },
        series_by={
            "column": "agency",
            "order": ["DPD", "DFD", "DCSD"],
            "total": "All",
            "labels": {"DPD": "Police", "DFD": "Fire", "DCSD": "Community Safety"},
        },
    )
    out = compute(m, data(FAMILIAR), END)
    q = out[out["period"] == "FY2027Q1"]
    # Window Oct 2025 - Sep 2026: a has 6 contacts, c has 5, b has 2 -> a and c are familiar.
    # In the quarter: a has DPD Aug + DCSD Sep, c has DCSD Jul, b is not familiar.
    assert values(q, "Police") == {"FY2027Q1": 1.0}
    assert values(q, "Fire") == {"FY2027Q1": 0.0}
    assert values(q, "Community Safety") == {"FY2027Q1": 2.0}
    assert values(q, "All") == {"FY2027Q1": 3.0}


def test_concentration_and_bands_count_people_by_the_columns_the_plan_names():
    counts = {"p1": 45, "p2": 25, "p3": 12, "p4": 5, "p5": 1}
    roles = {"person": "caller", "agency": "unit"}  # another export's names for the same roles
    rows = [
        {"when": f"2026-{(i % 9) + 1:02d}-01", "caller": p, "unit": "DCSD"}
        for p, n in counts.items()
        for i in range(n)
    ]
    window_end = date(2026, 9, 30)
    conc = compute(
        measure(
            kind="familiar_neighbor_concentration",
            unit="percent",
            grain="rolling_12_months",
            privacy="people",
            familiar={**roles, "agencies": ["DCSD"], "top_share_percent": 0.5},
        ),
        data(rows),
        window_end,
    ).iloc[-1]
    assert conc["min_group"] == 1  # 0.5% of 5 people rounds up to one person
    assert conc["value"] == pytest.approx(100 * 45 / 88)
    bands = compute(
        measure(
            kind="familiar_neighbor_bands",
            grain="rolling_12_months",
            privacy="people",
            familiar={**roles, "agencies": ["DCSD"]},
        ),
        data(rows),
        window_end,
    )
    latest = bands[bands["period_end"] == window_end]
    assert dict(zip(latest["series"], latest["value"])) == {
        "5 or more times": 4.0,
        "10 or more times": 3.0,
        "20 or more times": 2.0,
        "40 or more times": 1.0,
    }
    # Each band is the sum of the exclusive bands at and above it.
    atoms = dict(zip(latest["series"], latest["atoms"]))
    assert len(atoms["5 or more times"]) == 4 and len(atoms["40 or more times"]) == 1


def test_data_after_the_quarter_is_never_used():
    rows = [{"when": "2026-09-30"}, {"when": "2026-10-01"}]
    out = compute(measure(grain="quarter"), data(rows, end=END), END)
    assert values(out) == {"FY2027Q1": 1.0}
