"""The download CSVs: written by Python's csv module, byte for byte what pandas writes."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.core.language import PENDING_MARKS, pending
from helpers.measures.open_data import open_table
from helpers.measures.publication import QuarterTables, csv_table, read_quarter_frame, write_text_csv
from helpers.params.settings import load_settings

from ..conftest import LATEST

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


def test_a_spanish_csv_says_in_words_which_texts_await_their_translation(sample_project):
    # A label not yet translated is shown in English with the note "(traducción pendiente)";
    # the marks that carry that note inside the code must never reach a download, where the
    # site's checks would find them and stop the build.
    settings = load_settings(sample_project)
    spanish = settings.in_edition(next(e for e in settings.editions() if not e.is_source))
    rows = read_quarter_frame(sample_project, LATEST)
    rows = rows[rows["measure"] == "calls_911"].reset_index(drop=True)
    rows["series"] = pending("All calls", "(traducción pendiente)")
    measure = spanish.plan.measure("calls_911")
    lang = spanish.edition.language
    for table in (
        csv_table(measure, rows, spanish.privacy, "2026-09-30", "CAD", True, lang),
        open_table(measure, rows, spanish.privacy, "2026-09-30", True, lang),  # the open CSV too
    ):
        cells = [str(v) for v in table.to_numpy().ravel()]
        assert not any(mark in cell for cell in cells for mark in PENDING_MARKS)
        assert "All calls (traducción pendiente)" in cells


def test_a_measures_rows_are_its_rows_in_order_and_a_measure_without_any_has_none():
    frame = pd.DataFrame({"measure": ["a", "b", "a", "b"], "value": [1.0, 2.0, 3.0, 4.0]})
    districts = frame.assign(district=["D1", "D1", "D2", "D1"])
    tables = QuarterTables(LATEST, frame, {}, {}, districts=districts)
    pd.testing.assert_frame_equal(tables.rows_of("b"), frame[frame["measure"] == "b"].reset_index(drop=True))
    assert tables.rows_of("c").empty and list(tables.rows_of("c").columns) == ["measure", "value"]
    assert tables.district_rows_of("b", "D1")["value"].tolist() == [2.0, 4.0]
    nothing = tables.district_rows_of("a", "D3")
    assert nothing.empty and list(nothing.columns) == ["measure", "value"]
