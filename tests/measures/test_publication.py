"""The download CSVs: written by Python's csv module, byte for byte what pandas writes."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.measures.publication import write_text_csv

TEXT = pd.DataFrame(
    {
        "measure": ["Calls, answered", 'A "quoted" name', "line\nbreak", "Café ü 東京"],
        "period": ["2026-07", "", None, " padded "],
        "note": ["", "hidden to protect privacy: fewer than 11", None, "a;b"],
    }
)


@pytest.mark.parametrize(
    "table",
    [TEXT, TEXT.iloc[0:0], TEXT.assign(value=[1.5, float("nan"), 3.0, 10.0]), TEXT[["measure"]]],
    ids=["text", "no rows", "numbers (left to pandas)", "one column"],
)
def test_a_table_is_written_exactly_as_pandas_writes_it(tmp_path, table):
    ours, theirs = tmp_path / "ours.csv", tmp_path / "theirs.csv"
    write_text_csv(table, ours)
    table.to_csv(theirs, index=False, lineterminator="\n")
    assert ours.read_bytes() == theirs.read_bytes()
