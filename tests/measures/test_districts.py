"""Privacy across districts: a small district cell is hidden, and no subtraction from the city
total, the other districts, another series or the previous quarter brings it back. Small cells
are planted by hand and each path of recovery checked with the exact audit."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.measures.gate import audit, expand_atoms, gate

from .test_gate import RULES, cell

DISTRICTS = ["D1", "D2", "D3", "not_recorded"]


def month(period: str, values: dict[str, float], series: str = "calls", code: str = "__all__") -> list[dict]:
    """A city cell and its district cells for one month: atoms per district, as the stage makes."""
    atom = f"calls|{code}|{period}"
    rows = [{**cell("calls", period, series, sum(values.values()), [atom]), "district": ""}]
    for district, value in values.items():
        rows.append({**cell("calls", period, series, value, [f"{atom}@{district}"]), "district": district})
    return rows


def keys(gated: pd.DataFrame) -> set[tuple[str, str, str]]:
    rows = gated[gated["suppressed"]]
    return set(zip(rows["period"], rows["series"], rows["district"]))


def test_a_small_district_is_hidden_with_a_complement_so_the_city_total_cannot_reveal_it():
    frame = pd.DataFrame(month("2026-07", {"D1": 400, "D2": 350, "D3": 300, "not_recorded": 4}))
    gated, summary = gate(frame, RULES, {"calls": "calls"})
    assert keys(gated) == {("2026-07", "calls", "not_recorded"), ("2026-07", "calls", "D3")}
    assert not gated.loc[gated["district"] == "", "suppressed"].any()  # the city total stays
    assert summary.primary == {"calls": 1} and summary.secondary == {"calls": 1}
    assert audit(gated, {"calls": "calls"}) == []
    alone = gated.assign(suppressed=gated["district"] == "not_recorded")  # without the complement
    assert audit(alone, {"calls": "calls"}) == [("calls", "2026-07", "calls", "not_recorded")]


def test_a_table_of_departments_by_district_hides_a_rectangle():
    rows = []
    for code, values in (("DPD", [400, 380, 390, 30]), ("DCSD", [40, 35, 33, 6]), ("DFD", [90, 80, 85, 12])):
        rows += month("2026-07", dict(zip(DISTRICTS, values)), series=code, code=code)
    total = {d: sum(r["value"] for r in rows if r["district"] == d) for d in DISTRICTS}
    codes = ("DPD", "DCSD", "DFD")

    def all_calls(district: str, value: float) -> dict:
        mark = f"@{district}" if district else ""
        return {
            **cell("calls", "2026-07", "All", value, [f"calls|{c}|2026-07{mark}" for c in codes]),
            "district": district,
        }

    rows += [all_calls("", sum(total.values())), *(all_calls(d, total[d]) for d in DISTRICTS)]
    gated, _ = gate(pd.DataFrame(rows), RULES, {"calls": "calls"})
    hidden = keys(gated)
    assert ("2026-07", "DCSD", "not_recorded") in hidden and len(hidden) >= 4  # no single cell is enough
    assert all(d != "" for _, _, d in hidden)  # city totals stay published
    assert audit(gated, {"calls": "calls"}) == []


def test_last_quarters_report_counts_as_published():
    """A month published last quarter with D3 shown cannot be published now with D3 hidden and
    the rest shown: the gate hides another cell instead."""
    frame = pd.DataFrame(month("2026-06", {"D1": 400, "D2": 350, "D3": 8, "not_recorded": 50}))
    previous = pd.DataFrame(month("2026-06", {"D1": 400, "D2": 350, "D3": 8, "not_recorded": 50}))
    previous = previous[previous["district"].isin(["", "D1"])].assign(suppressed=False)
    previous["period"] = "2026-06-old"  # published under another key, with the same atoms
    gated, _ = gate(frame, RULES, {"calls": "calls"}, previous=previous)
    assert ("2026-06", "calls", "D3") in keys(gated)
    assert audit(gated, {"calls": "calls"}, previous) == []


def test_a_report_from_before_districts_is_read_as_the_sum_of_its_districts():
    city = pd.DataFrame(
        [{**cell("calls", "2026-06", "calls", 808, ["calls|__all__|2026-06"]), "district": ""}]
    )
    districts = pd.DataFrame(month("2026-06", {"D1": 400, "D2": 350, "D3": 8, "not_recorded": 50})[1:])
    expand_atoms(city, districts)
    assert city.iloc[0]["atoms"] == [f"calls|__all__|2026-06@{d}" for d in sorted(DISTRICTS)]


@pytest.mark.slow
def test_the_sample_districts_publish_nothing_small_and_nothing_recoverable(sample_project):
    from helpers.measures.build import previous_publication
    from helpers.measures.publication import read_quarter_districts, read_quarter_frame
    from helpers.params.settings import load_settings

    from ..conftest import LATEST

    settings = load_settings(sample_project)
    city = read_quarter_frame(sample_project, LATEST)
    districts = read_quarter_districts(sample_project, LATEST)
    assert set(districts["district"]) == {"D1", "D2", "D3", "D4", "D5", "not_recorded"}
    shown = districts[~districts["suppressed"]]
    assert ((shown["value"] == 0) | (shown["value"] >= settings.privacy.floor)).all()
    assert districts["suppressed"].any()  # the sample has small cells, and they are hidden
    everything = pd.concat([city, districts], ignore_index=True)
    assert audit(everything, settings.populations(), previous_publication(settings, LATEST)) == []
    # the districts add up to the city, month by month, where everything is published
    calls = everything[(everything["measure"] == "no_fault_crashes") & ~everything["suppressed"]]
    by_month = calls.groupby(["period", calls["district"].fillna("") == ""])["value"].sum().unstack()
    complete = by_month.dropna()
    full = districts[districts["measure"] == "no_fault_crashes"].groupby("period")["suppressed"].any()
    complete = complete[~full.reindex(complete.index).fillna(True)]
    assert len(complete) > 30 and (complete[True] == complete[False]).all()
