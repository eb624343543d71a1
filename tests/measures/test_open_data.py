"""Each measure's machine-readable CSV: the same tidy columns in every quarter and edition, a gap
or a hidden value empty (never 0), and the counts that describe one group hidden together."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.measures.gate import gate_counts
from helpers.measures.open_data import FIELD_NAMES, FIELDS
from helpers.measures.publication import OPEN_FOLDER

from ..conftest import LATEST


def test_counts_of_one_group_are_hidden_together_when_one_is_small():
    assert gate_counts({"responses": 34, "yes": 21, "no": 13}, 10) == {"responses": 34, "yes": 21, "no": 13}
    # 4 who said no would be 34 - 30 if only "no" were hidden: all three go
    assert gate_counts({"responses": 34, "yes": 30, "no": 4}, 10) == dict.fromkeys(("responses", "yes", "no"))
    assert gate_counts({"responses": 0, "yes": 0, "no": 0}, 10) == {"responses": 0, "yes": 0, "no": 0}


def test_every_field_is_described_and_typed_for_the_table_schema():
    assert len(set(FIELD_NAMES)) == len(FIELDS)
    assert {f.type for f in FIELDS} <= {"string", "number", "integer", "boolean", "date"}
    assert all(f.description.endswith(".") for f in FIELDS)


@pytest.mark.slow
def test_the_open_csvs_are_tidy_and_agree_with_the_gated_tables(sample_project):
    folder = sample_project.quarter_dir(LATEST)
    for path in sorted((folder / "measures").glob("*.parquet")):
        gated = pd.read_parquet(path)
        english = pd.read_csv(
            folder / "csv" / OPEN_FOLDER / f"{path.stem}.csv", dtype=str, keep_default_na=False
        )
        spanish = pd.read_csv(
            folder / "csv" / "es" / OPEN_FOLDER / f"{path.stem}.csv", dtype=str, keep_default_na=False
        )
        assert tuple(english.columns) == FIELD_NAMES == tuple(spanish.columns), path.stem
        assert len(english) == len(gated) == len(spanish)
        assert (english["period"] == spanish["period"]).all() and (english["value"] == spanish["value"]).all()
        hidden = gated["suppressed"].to_numpy()
        assert (english.loc[hidden, "value"] == "").all(), f"{path.stem}: a hidden value was published"
        assert set(english.loc[hidden, "suppressed"]) <= {"true"}
        not_measured = gated["status"].isin(["missing", "not_available"]).to_numpy()
        assert (english.loc[not_measured, "value"] == "").all(), f"{path.stem}: a gap published as a number"
        shown = ~hidden & ~not_measured & gated["value"].notna().to_numpy()
        assert (english.loc[shown, "value"].astype(float) == gated.loc[shown, "value"].round(9)).all() or (
            (english.loc[shown, "value"].astype(float) - gated.loc[shown, "value"]).abs().max() < 1e-6
        )
        assert set(english["coverage"]) <= {"complete", "partial", "missing", "not_available"}
        assert set(english["sample_data"]) == {"true"}
