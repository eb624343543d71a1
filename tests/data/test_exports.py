"""Reading exports column by column: the quick looks at a column's bytes (can any value need
trimming? can any hold a control character?) never let through what the full checks would find."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from helpers.data.exports import CONTROL_CHECK, _control_characters, to_string
from helpers.params.sources import ColumnSpec

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
