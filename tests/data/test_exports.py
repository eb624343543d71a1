"""Reading exports column by column: the quick looks at a column's bytes (can any value need
trimming? can any hold a control character?) never let through what the full checks would find."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from helpers.data.exports import (
    CONTROL_CHECK,
    RawFile,
    _control_characters,
    canonical_table,
    csv_types,
    to_string,
)
from helpers.data.validation import Failures
from helpers.params.sources import ColumnSpec, SourceSpec

COLUMN = ColumnSpec(**{"from": "Disposition", "type": "string", "nullable": True})


@pytest.mark.parametrize(
    "values",
    [
        ["ADVISED", " ARREST", "CLOSED"],
        ["ADVISED", "CLOSED\u00a0", None],  # a no-break space is white space too
        ["", " ", None, ""],  # blanks only
        [None, "CLOSED", "", "\tREPORT"],  # a blank beside a value that needs trimming
        ["ADVISED", "", None],  # blanks at the end
        ["CLOSED", "ADVISED"],
        ["ARREST ", "CLOSED"],  # a space at the end, nothing blank
    ],
)
def test_text_is_trimmed_exactly_as_the_full_trim_would(values):
    array = pa.array(values, pa.string())
    assert to_string(array).to_pylist() == pc.utf8_trim_whitespace(array).to_pylist()
    sliced = pa.array(["  x  ", *values], pa.string()).slice(1)  # an offset into a larger array
    assert to_string(sliced).to_pylist() == pc.utf8_trim_whitespace(sliced).to_pylist()


@pytest.mark.parametrize("bad", ["\x00", "\x1b", "\x7f", "\x0b"])
def test_every_control_character_is_found(bad):
    found = _control_characters(pa.array(["CLOSED", None, f"AD{bad}VISED", "é"]), COLUMN)
    assert [(row, check) for row, _, check in found] == [(2, CONTROL_CHECK)]


def test_tabs_line_breaks_and_any_unicode_are_not_control_characters():
    values = pa.array(["a\tb", "line\nbreak", "cr\r", "Café ü 東京", "", None])
    assert _control_characters(values, COLUMN) == []


AGENCY = ColumnSpec(
    **{"from": "Dept", "type": "string", "nullable": True, "values": {"Police": "DPD", "Fire": "DFD"}}
)
SPEC = SourceSpec(
    title="Calls",
    publisher="Test",
    description="Test calls.",
    files="calls/*.csv",
    format="csv",
    expected="daily",
    date_column="day",
    columns={
        "agency": AGENCY,
        "event_id": {"from": "Event", "type": "string", "identifier": True},
        "day": {"from": "Day", "type": "date", "required": False, "nullable": True},
    },
)


def mapped(csv_text: str, types: dict[str, pa.DataType]) -> pa.Table:
    """The canonical table of a CSV read with ``types``, in blocks of a few rows (so that new
    categories arrive in later blocks, each block with its own codes)."""
    table = pacsv.read_csv(
        pa.BufferReader(csv_text.encode()),
        read_options=pacsv.ReadOptions(block_size=64),
        convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True, null_values=[""]),
    )
    assert table.column("Dept").num_chunks > 1
    raw = RawFile(Path("calls.csv"), "calls.csv", table, None)
    failures = Failures()
    with ThreadPoolExecutor(2) as pool:
        out = canonical_table("calls", SPEC, raw, failures, set(), pool, np.arange(table.num_rows))
    assert not failures.rows, failures.rows
    assert out is not None
    return out


def test_categories_read_as_codes_map_exactly_as_their_text_does():
    # Recoded values that meet ("Police" and "DPD"), values that trim alike, blanks, and values
    # first seen only in a later block: the codes must be the ones encoding the text gives.
    depts = ["Fire", " Police", "", "DPD", "Police", "EMS ", None, "Fire", "DFD", "EMS", "Police"] * 4
    depts += ["Animal Services", "Fire", "Animal Services "]
    rows = [f"E{i},{'' if d is None else d}" for i, d in enumerate(depts)]
    text = "Event,Dept\n" + "\n".join(rows) + "\n"
    types = csv_types(SPEC, ["Event", "Dept"])
    assert pa.types.is_dictionary(types["Dept"]) and types["Event"] == pa.string()
    coded = mapped(text, types).column("agency").combine_chunks()
    as_text = mapped(text, {"Event": pa.string(), "Dept": pa.string()}).column("agency")
    assert pa.types.is_dictionary(coded.type)
    assert coded.equals(pc.dictionary_encode(as_text.combine_chunks()))
    assert coded.dictionary.to_pylist() == ["DFD", "DPD", "EMS", "Animal Services"]


def test_a_control_character_in_a_category_is_located_by_row():
    text = "Event,Dept\nE1,Police\nE2,Fi\x00re\nE3,Fire\n"
    table = pacsv.read_csv(
        pa.BufferReader(text.encode()),
        convert_options=pacsv.ConvertOptions(
            column_types=csv_types(SPEC, ["Event", "Dept"]), strings_can_be_null=True, null_values=[""]
        ),
    )
    failures = Failures()
    with ThreadPoolExecutor(2) as pool:
        canonical_table(
            "calls", SPEC, RawFile(Path("c.csv"), "c.csv", table, None), failures, set(), pool, np.arange(3)
        )
    assert [(r["row"], r["column"], r["check"]) for r in failures.rows] == [(1, "agency", CONTROL_CHECK)]


def test_a_header_read_by_a_non_categorical_column_stays_text():
    spec = SPEC.model_copy(
        update={
            "columns": {
                **SPEC.columns,
                "agency_id": ColumnSpec(**{"from": "Dept", "type": "string", "identifier": True}),
            }
        }
    )
    assert csv_types(spec, ["Event", "Dept", "Other"]) == {n: pa.string() for n in ["Event", "Dept", "Other"]}


def test_the_reader_converts_whole_numbers_only_where_every_reading_agrees_and_never_times():
    when = {"from": "When", "type": "datetime", "format": "%m/%d/%Y %H:%M"}
    secs = {"from": "Secs", "type": "integer"}
    spec = SPEC.model_copy(
        update={"columns": {**SPEC.columns, "when": ColumnSpec(**when), "secs": ColumnSpec(**secs)}}
    )
    # times come as text: the reader's own conversion would take 02/30 for 2 March
    types = csv_types(spec, ["Event", "Dept", "When", "Secs"])
    assert (types["When"], types["Secs"]) == (pa.string(), pa.int64())
    assert csv_types(spec, ["When", "Secs"], convert=False) == {"When": pa.string(), "Secs": pa.string()}
    # a header read as a number by one column and as text by another stays text
    raw = ColumnSpec(**{"from": "Secs", "type": "string"})
    both = spec.model_copy(update={"columns": {**spec.columns, "secs_text": raw}})
    assert csv_types(both, ["Secs"]) == {"Secs": pa.string()}
