"""The README's example of running the processed stage on another engine (DuckDB over the same
Parquet tables) runs here and counts what the report's own measure counts."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.core.periods import FiscalQuarter
from helpers.measures.publication import read_quarter_frame

pytest.importorskip("duckdb", reason="duckdb is a dev dependency: `make setup` installs it")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "duckdb_calls_by_month.py"


def load_example():
    spec = importlib.util.spec_from_file_location("duckdb_calls_by_month", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reported_calls(paths, quarter: str) -> dict[str, int]:
    frame = read_quarter_frame(paths, FiscalQuarter.parse(quarter))
    calls = frame[(frame["measure"] == "calls_911") & (frame["status"] == "complete")]
    return {row.period: int(row.value) for row in calls.itertuples()}


def test_duckdb_counts_the_report_s_monthly_calls_from_the_canonical_parquet(sample_project):
    rows = load_example().calls_by_month(str(sample_project.canonical / "cad_events.parquet"))
    counted = {month: calls for city, month, calls in rows if city == "durham"}
    reported = reported_calls(sample_project, "FY2027Q1")
    assert len(reported) > 24
    assert {month: counted[month] for month in reported} == reported


def test_many_cities_pooled_in_one_folder_are_counted_per_city(sample_project, tmp_path):
    for city in ("durham", "cary"):
        folder = tmp_path / "region" / f"city={city}"
        folder.mkdir(parents=True)
        shutil.copy(sample_project.canonical / "cad_events.parquet", folder / "cad_events.parquet")
    pattern = str(tmp_path / "region" / "city=*" / "cad_events.parquet")
    output = subprocess.run(
        [sys.executable, str(EXAMPLE), pattern], capture_output=True, text=True, check=True
    ).stdout
    lines = output.splitlines()
    assert lines[0].split() == ["city", "month", "calls"]
    cary = [line.split() for line in lines[1:] if line.startswith("cary")]
    durham = [line.split() for line in lines[1:] if line.startswith("durham")]
    assert cary and [row[1:] for row in cary] == [row[1:] for row in durham]
