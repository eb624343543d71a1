"""The privacy gate, including hand-made attempts to recover hidden cells."""

from __future__ import annotations

import hashlib
import hmac
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from helpers.measures.gate import PrivacyError, audit, gate, scan_files
from helpers.params.privacy import PrivacyRules

RULES = PrivacyRules.model_validate(
    {
        "version": 1,
        "floor": 10,
        "unstable_at_or_below": 20,
        "identifier_scan": {"min_token_length": 6, "forbidden_patterns": [r"^P\d{7}$"]},
    }
)


def cell(
    measure: str,
    period: str,
    series: str,
    value: float,
    atoms: list[str] | None = None,
    people: bool = True,
    min_group: float = math.nan,
    counts: list[float] | None = None,
):
    return {
        "measure": measure,
        "period": period,
        "series": series,
        "value": float(value),
        "numerator": math.nan,
        "denominator": math.nan,
        "privacy_counts": counts if counts is not None else ([value] if people else []),
        "min_group": min_group,
        "atoms": atoms or [],
        "count": float(value),
    }


def table(*cells) -> pd.DataFrame:
    return pd.DataFrame(list(cells))


def hidden(gated: pd.DataFrame) -> set[tuple[str, str]]:
    rows = gated[gated["suppressed"]]
    return set(zip(rows["period"], rows["series"]))


def can_work_out(gated: pd.DataFrame, series: str, period: str) -> float | None:
    """An attacker's attempt: the hidden cell from a published total minus published parts."""
    visible = gated[~gated["suppressed"]]
    total = visible[(visible["series"] == "Total") & (visible["period"] == period)]
    parts = gated[(gated["series"] != "Total") & (gated["period"] == period)]
    if total.empty or parts[parts["series"] != series]["suppressed"].any():
        return None
    return float(total["value"].iloc[0] - parts[parts["series"] != series]["value"].sum())


def test_small_counts_are_hidden_zero_and_ten_are_not():
    gated, summary = gate(
        table(
            cell("m", "p1", "a", 0),
            cell("m", "p2", "a", 3),
            cell("m", "p3", "a", 9),
            cell("m", "p4", "a", 10),
        ),
        RULES,
        {"m": "m"},
    )
    assert hidden(gated) == {("p2", "a"), ("p3", "a")}
    assert gated.loc[gated["suppressed"], "value"].isna().all()
    assert summary.primary == {"m": 2}
    assert gated.loc[gated["period"] == "p4", "unstable"].item()  # 10..20 flagged, still shown


def test_a_rate_built_on_a_small_count_is_hidden():
    row = cell("share", "q", "all", 62.5, counts=[5.0, 3.0])
    row.update(numerator=5.0, denominator=8.0)
    gated, _ = gate(table(row), RULES, {"share": "share"})
    assert gated["suppressed"].item()
    assert gated[["value", "numerator", "denominator"]].isna().all(axis=None)


def test_concentration_figure_needs_a_large_enough_top_group():
    small = cell("conc", "w1", "all", 12.0, counts=[80.0, 700.0], min_group=4)
    large = cell("conc", "w2", "all", 11.0, counts=[90.0, 820.0], min_group=21)
    gated, summary = gate(table(small, large), RULES, {"conc": "conc"})
    assert hidden(gated) == {("w1", "all")}
    assert gated.loc[gated["period"] == "w1", "suppression"].item() == "concentration"
    assert summary.concentration == {"conc": 1}


def test_total_minus_parts_cannot_recover_a_hidden_part():
    rows = table(
        cell("m", "q", "A", 3, ["m|A|q"]),
        cell("m", "q", "B", 40, ["m|B|q"]),
        cell("m", "q", "C", 25, ["m|C|q"]),
        cell("m", "q", "Total", 68, ["m|A|q", "m|B|q", "m|C|q"]),
    )
    naive = rows.assign(suppressed=[True, False, False, False])
    assert can_work_out(naive, "A", "q") == 3.0  # what primary suppression alone would leak
    gated, summary = gate(rows, RULES, {"m": "m"})
    assert ("q", "A") in hidden(gated) and len(hidden(gated)) == 2
    assert hidden(gated) == {("q", "A"), ("q", "C")}  # the smallest other part goes too
    assert summary.secondary == {"m": 1}
    assert can_work_out(gated, "A", "q") is None
    assert audit(gated, {"m": "m"}) == []


def test_quarters_and_year_of_the_same_people_are_protected_together():
    months = {"Q1": ["01", "02", "03"], "Q2": ["04", "05", "06"], "Q3": ["07", "08", "09"]}
    atoms = {q: [f"apps|DPD|2026-{m}" for m in ms] for q, ms in months.items()}
    rows = table(
        cell("apps_q", "Q1", "Police", 120, atoms["Q1"]),
        cell("apps_q", "Q2", "Police", 4, atoms["Q2"]),
        cell("apps_q", "Q3", "Police", 95, atoms["Q3"]),
        cell("apps_y", "CY2026", "Police", 219, [a for q in atoms.values() for a in q]),
    )
    populations = {"apps_q": "apps", "apps_y": "apps"}
    gated, _ = gate(rows, RULES, populations)
    assert len(hidden(gated)) == 2 and ("Q2", "Police") in hidden(gated)
    assert audit(gated, populations) == []


def test_year_to_date_minus_last_quarters_year_to_date():
    """Last quarter published 2026 to June; this quarter's Q3 is small. The YTD through
    September minus the YTD through June would give Q3 away, so the gate hides more."""
    jan_jun = [f"apps|DPD|2026-{m:02d}" for m in range(1, 7)]
    jul_sep = [f"apps|DPD|2026-{m:02d}" for m in range(7, 10)]
    previous = table(cell("apps_y", "CY2026-YTD-06", "Police", 300, jan_jun)).assign(suppressed=False)
    current = table(
        cell("apps_q", "Q3", "Police", 5, jul_sep),
        cell("apps_y", "CY2026-YTD-09", "Police", 305, jan_jun + jul_sep),
    )
    populations = {"apps_q": "apps", "apps_y": "apps"}
    alone, _ = gate(current, RULES, populations)
    assert hidden(alone) == {("Q3", "Police")}  # safe if nothing else were ever published
    assert audit(alone, populations, previous) == [("apps_q", "Q3", "Police", "")]
    gated, _ = gate(current, RULES, populations, previous=previous)
    assert hidden(gated) == {("Q3", "Police"), ("CY2026-YTD-09", "Police")}
    assert audit(gated, populations, previous) == []


def test_cumulative_bands_do_not_reveal_the_top_band():
    atoms = [f"b|w|band{j}" for j in range(4)]
    rows = table(
        *(
            cell("bands", "w", f"{low}+", value, atoms[i:])
            for i, (low, value) in enumerate([(5, 124), (10, 31), (20, 14), (40, 5)])
        )
    )
    gated, _ = gate(rows, RULES, {"bands": "b"})
    assert hidden(gated) == {("w", "40+")}
    assert audit(gated, {"bands": "b"}) == []


def test_exclusive_bands_with_a_total_need_a_second_suppression():
    atoms = [f"b|w|band{j}" for j in range(3)]
    rows = table(
        cell("bands", "w", "5-9", 90, [atoms[0]]),
        cell("bands", "w", "10-39", 26, [atoms[1]]),
        cell("bands", "w", "40+", 5, [atoms[2]]),
        cell("bands", "w", "Total", 121, atoms),
    )
    gated, _ = gate(rows, RULES, {"bands": "b"})
    assert hidden(gated) == {("w", "40+"), ("w", "10-39")}
    assert audit(gated, {"bands": "b"}) == []


def test_impossible_to_protect_stops_the_build():
    previous = table(cell("m", "old1", "x", 50, ["m|a", "m|b"]), cell("m", "old2", "x", 45, ["m|b"])).assign(
        suppressed=False
    )
    current = table(cell("m", "now", "x", 5, ["m|a"]))
    with pytest.raises(PrivacyError, match="can be worked out"):
        gate(current, RULES, {"m": "m"}, previous=previous)


def test_aggregate_measures_are_not_suppressed():
    gated, _ = gate(
        table(cell("events", "2026-07", "Joint events", 2, people=False)), RULES, {"events": "events"}
    )
    assert not gated["suppressed"].any() and gated["value"].item() == 2


def test_the_audit_is_an_exact_oracle():
    a, b, c = "m|a", "m|b", "m|c"
    rows = table(
        cell("m", "1", "x", 50, [a, b]),
        cell("m", "2", "x", 30, [b, c]),
        cell("m", "3", "x", 40, [a, c]),
        cell("m", "4", "x", 5, [a]),
    )
    exposed = rows.assign(suppressed=[False, False, False, True])
    # a = ((a+b) - (b+c) + (a+c)) / 2: recoverable with no single subtraction.
    assert audit(exposed, {"m": "m"}) == [("m", "4", "x", "")]
    safe = rows.assign(suppressed=[False, True, False, True])
    assert audit(safe, {"m": "m"}) == []


# ------------------------------------------------------------------------- published-file scan

KEY = b"scan-key"


def digest(value: str) -> str:
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()[:16]


def scan(tmp_path: Path, files: dict[str, str]):
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    identifiers = {"cad_events.event_id": pa.chunked_array([pa.array(["C23-0000042", "C23-0000043"])])}
    hashed = pa.chunked_array([pa.array([digest("P1234567"), digest("P7654321")])])
    return scan_files(sorted(tmp_path.iterdir()), tmp_path, identifiers, hashed, KEY, 16, RULES)


def test_scan_finds_keys_and_record_numbers_and_never_echoes_them(tmp_path):
    findings = scan(
        tmp_path,
        {
            "raw.html": "<p>Neighbor P7654321 called</p>",
            "hashed.csv": f"period,key\n2026-09,{digest('P1234567')}\n",
            "record.json": '{"case": "C23-0000042"}',
            "pattern.txt": "someone P9999999 not in the data",
            "clean.html": "<p>4,601 interactions in July to September 2026</p>",
        },
    )
    reasons = {(f.file, f.reason) for f in findings}
    assert ("raw.html", "raw person key") in reasons
    assert ("hashed.csv", "pseudonymised person key") in reasons
    assert ("record.json", "record number from cad_events.event_id") in reasons
    assert any(f.file == "pattern.txt" and "forbidden pattern" in f.reason for f in findings)
    assert not any(f.file == "clean.html" for f in findings)
    assert {f.token for f in findings} == {"(withheld)"}


def test_scan_ignores_binary_files(tmp_path):
    (tmp_path / "chart.png").write_bytes(b"\x89PNG P1234567")
    assert scan(tmp_path, {}) == []


def test_gate_output_has_no_hidden_numbers(tmp_path):
    rows = table(
        cell("m", "q", "A", 3, ["m|A|q"]),
        cell("m", "q", "Total", 50, ["m|A|q", "m|B|q"]),
        cell("m", "q", "B", 47, ["m|B|q"]),
    )
    gated, _ = gate(rows, RULES, {"m": "m"})
    hidden_rows = gated[gated["suppressed"]]
    assert np.isnan(hidden_rows["value"].to_numpy(dtype=float)).all()
    assert np.isnan(hidden_rows["count"].to_numpy(dtype=float)).all()
    assert "privacy_counts" not in gated.columns  # the raw counts never leave the gate
