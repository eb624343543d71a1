"""``python -m helpers spc``: the analysts' contract (columns, order, full precision, summary JSON,
errors naming file, row and column)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from helpers.cli import EXIT_CONFIG, main

DEVIATIONS = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]
CONTRACT = [
    "period",
    "value",
    "process_chart",
    "segment",
    "process_mean",
    "lower_process_limit",
    "upper_process_limit",
    "rules",
    "point_type",
]


def series(tmp_path, values, name="series.csv", periods=None):
    path = tmp_path / name
    periods = periods or [f"2024-{i + 1:02d}" if i < 12 else f"2025-{i - 11:02d}" for i in range(len(values))]
    lines = ["month,calls"] + [f"{p},{v}" for p, v in zip(periods, values)]
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *args) -> tuple[int, str]:
    code = main(["spc", *map(str, args)])
    return code, capsys.readouterr().out


def test_one_row_per_point_in_order_with_full_precision(tmp_path, capsys):
    path = series(tmp_path, DEVIATIONS)
    code, out = run(capsys, path, "--value", "calls", "--period", "month")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [column for column in rows[0] if column in CONTRACT] == CONTRACT
    assert [r["period"] for r in rows] == [f"2024-{i:02d}" for i in range(1, 13)] + [
        f"2025-{i:02d}" for i in range(1, 7)
    ]
    assert float(rows[0]["upper_process_limit"]) == pytest.approx(4.6, abs=0.005)
    assert float(rows[0]["lower_process_limit"]) < 0  # never clipped here
    assert len(rows[0]["process_mean"].split(".")[1]) > 6  # full precision, not display rounding
    assert rows[4]["rules"] == "outside_limits" and rows[4]["point_type"] == "special_cause_neutral_high"
    assert {r["point_type"] for i, r in enumerate(rows) if i != 4} == {"common_cause"}
    assert {r["segment"] for r in rows} == {"1"} and {r["process_chart"] for r in rows} == {"xmr"}


def test_no_screen_and_rebase(tmp_path, capsys):
    path = series(tmp_path, DEVIATIONS)
    _, out = run(capsys, path, "--value", "calls", "--period", "month", "--no-screen")
    assert float(next(csv.DictReader(io.StringIO(out)))["upper_process_limit"]) == pytest.approx(
        6.95, abs=0.005
    )
    _, out = run(capsys, path, "--value", "calls", "--period", "month", "--rebase", "2024-09")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["segment"] for r in rows] == ["1"] * 8 + ["2"] * 10
    assert rows[0]["process_mean"] != rows[-1]["process_mean"]


def test_summary_gives_variation_and_assurance(tmp_path, capsys):
    path = series(tmp_path, [80, 82, 81, 83, 80, 82, 81, 83, 80, 82, 81, 83, 82, 95])
    code, out = run(capsys, path, "--value", "calls", "--period", "month", "--summary")
    summary = json.loads(out)
    assert code == 0 and summary["variation"] == "special_cause_neutral_high"
    assert summary["assurance"] is None  # no target, neutral
    _, out = run(
        capsys, path, "--value", "calls", "--period", "month", "--summary", "--direction", "increase",
        "--target", "99",
    )  # fmt: skip
    summary = json.loads(out)
    assert summary["variation"] == "special_cause_improvement"
    assert summary["assurance"] == "consistent_fail"  # 99 lies above the upper limit


@pytest.mark.parametrize(
    ("content", "args", "expected"),
    [
        ("month,calls\n2024-01,5\n2024-02,6\n", ["--value", "count"], ["series.csv", "row 1", "'count'"]),
        ("month,calls\n2024-01,5\n2024-02,six\n2024-03,4\n", [], ["series.csv", "row 3", "'calls'", "six"]),
        ("month,calls\n2024-01,5\n", [], ["series.csv", "'calls'", "fewer than two points"]),
        (
            "month,calls\n2024-01,5\n2024-02,6\n",
            ["--rebase", "2023-12"],
            ["series.csv", "'month'", "2023-12"],
        ),
    ],
)
def test_bad_input_exits_1_naming_file_row_and_column(tmp_path, capsys, caplog, content, args, expected):
    path = tmp_path / "series.csv"
    path.write_text(content)
    options = ["--value", "calls", "--period", "month", *args]
    if "--value" in args:
        options = ["--period", "month", *args]
    code = main(["spc", str(path), *options])
    assert code == EXIT_CONFIG == 1
    message = caplog.text + capsys.readouterr().err
    for part in expected:
        assert part in message


def test_a_gap_is_shown_as_a_gap_and_not_judged(tmp_path, capsys):
    path = tmp_path / "series.csv"
    path.write_text("month,calls\n2024-01,5\n2024-02,\n2024-03,6\n2024-04,5\n")
    _, out = run(capsys, path, "--value", "calls", "--period", "month")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[1]["value"] == "" and rows[1]["point_type"] == "" and rows[1]["process_mean"] == ""
    assert rows[2]["point_type"] == "common_cause"
