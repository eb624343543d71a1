"""Times read from an export's text, on days the calendar has.

Arrow's ``strptime`` checks each field's range but not the day against its month: it reads
``02/30/2023`` as 2 March, and ``04/31/2023`` as 1 May, so a mistyped date would be counted
in another month without a word. ``parse_times`` gives null for such a day (a value that does
not parse, which validation then locates by file, row and column).

Most exports write every time in full, in one fixed layout (``07/01/2025 00:00:19``): their
bytes are moved into ISO order in numpy and read by Arrow's ISO parser, which knows the
calendar, and is quicker than ``strptime``. Any other text is read by ``strptime``; only the
times that land where a day the month lacks would land are looked at again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .text import text_bytes

# Where a day the month does not have lands, as (month, day): 29 to 31 February on 1 to 3
# March; the 31st of April, June, September and November on the 1st of the month after.
SPILL = {(3, 1), (3, 2), (3, 3), (5, 1), (7, 1), (10, 1), (12, 1)}
_TABLE_DAYS = 1 << 16  # days a column may span for them to be looked up in a table (180 years)
# How many characters each field takes when written in full (zero-padded): the fields whose
# place in the text a format fixes, with plain ASCII characters between them.
_WIDTHS = {"Y": 4, "m": 2, "d": 2, "H": 2, "I": 2, "M": 2, "S": 2, "y": 2, "p": 2}


def spill_days(days: np.ndarray) -> np.ndarray:
    """The day of the month of each day number (days since 1970-01-01) that is in ``SPILL``,
    and 0 for any other: looked up in a table of the days spanned."""
    low, high = int(days.min()), int(days.max())
    if high - low < _TABLE_DAYS:
        table, index = np.arange(low, high + 1).astype("datetime64[D]"), days - low
    else:
        table, index = days.astype("datetime64[D]"), None
    months = table.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    day = (table - months.astype("datetime64[D]")).astype(np.int64) + 1
    spill = np.zeros(len(table), dtype=bool)
    for m, d in SPILL:
        spill |= (month == m) & (day == d)
    found = np.where(spill, day, 0).astype(np.int8)
    return found if index is None else found[index]


class WrittenInFull(NamedTuple):
    """Text written in a format with every field in full (zero-padded)."""

    fields: tuple[tuple[str, int], ...]  # each field's letter and place
    literals: tuple[tuple[int, int], ...]  # each literal character's place and byte
    length: int


@lru_cache
def written_in_full(format: str) -> WrittenInFull | None:
    """``format``'s text with every field in full (``WrittenInFull``; ``%%`` is one literal);
    None when a field's width can vary (a month's name) or a character is not ASCII. The one
    reading of a format, for finding the day (``day_field``) and for ISO order (``iso_layout``)."""
    at, i, fields, literals = 0, 0, [], []
    while i < len(format):
        char = format[i]
        if char == "%" and format[i + 1 : i + 2] == "%":
            char, i = "%", i + 1
        elif char == "%":
            field = format[i + 1 : i + 2]
            if field not in _WIDTHS:
                return None
            fields.append((field, at))
            at, i = at + _WIDTHS[field], i + 2
            continue
        if not char.isascii():
            return None
        literals.append((at, ord(char)))
        at, i = at + 1, i + 1
    return WrittenInFull(tuple(fields), tuple(literals), at)


def day_field(format: str) -> tuple[int, int] | None:
    """Where text written in ``format`` in full holds its day of the month (``%d``), and how
    long the text is; None when there is no fixed place for it (``written_in_full``)."""
    written = written_in_full(format)
    days = [at for field, at in written.fields if field == "d"] if written else []
    return (days[-1], written.length) if written and days else None


_ISO = {"Y": (0, 4), "m": (5, 2), "d": (8, 2), "H": (11, 2), "M": (14, 2), "S": (17, 2)}
_WORDS = {8: np.uint64, 4: np.uint32, 2: np.uint16, 1: np.uint8}


@dataclass(frozen=True)
class IsoLayout:
    """How text written in a format in full becomes ISO text (``0000-00-00 00:00:00``, or its
    date alone): ``length`` bytes, whose ``literals`` (place, byte) every value must have, then
    ``copies`` of (from, to, width) bytes, each width a machine word, and ``constants`` (place,
    byte) for what the ISO text has that the layout does not."""

    length: int
    literals: tuple[tuple[int, int], ...]
    width: int
    copies: tuple[tuple[int, int, int], ...]
    constants: tuple[tuple[int, int], ...]


@lru_cache
def iso_layout(format: str) -> IsoLayout | None:
    """``format``'s layout (``IsoLayout``); None unless it is made of ``%Y %m %d``, optionally
    ``%H %M`` (and ``%S``), and ASCII characters."""
    written = written_in_full(format)
    if written is None:
        return None
    fields, literals, length = written
    layout = dict(literals)  # place -> byte
    seen = {field for field, _ in fields}
    if not seen <= _ISO.keys() or len(seen) < len(fields):  # another field, or one twice
        return None
    source = {}  # ISO place -> place in the text
    for field, at in fields:
        start, width = _ISO[field]
        source.update({start + k: at + k for k in range(width)})
    timed = bool(seen & {"H", "M", "S"})
    if not {"Y", "m", "d"} <= seen or (timed and not {"H", "M"} <= seen):
        return None
    template = b"0000-00-00 00:00:00" if timed else b"0000-00-00"
    # Runs of bytes that follow one another in both texts (a literal may join a run where both
    # texts have it), each copied a word at a time.
    runs, place = [], 0
    while place < len(template):
        if place not in source:
            place += 1
            continue
        start, end = source[place], place + 1
        while end < len(template) and (
            source.get(end) == start + end - place
            or (end not in source and layout.get(start + end - place) == template[end])
        ):
            end += 1
        runs.append((start, place, end - place))
        place = end
    copies = []
    for start, place, width in runs:
        while width:
            word = next(w for w in _WORDS if w <= width)
            copies.append((start, place, word))
            start, place, width = start + word, place + word, width - word
    covered = {place + k for _, place, word in copies for k in range(word)}
    constants = tuple((p, byte) for p, byte in enumerate(template) if p not in covered)
    return IsoLayout(length, literals, len(template), tuple(copies), constants)


def _iso_times(text: pa.Array, format: str) -> pa.Array | None:
    """``text`` read through ISO order (see the module), when every value is written in full
    in ``format``'s layout and is a time the calendar has; None when not."""
    layout = iso_layout(format)
    found = text_bytes(text) if layout is not None and not text.null_count else None
    if layout is None or found is None:
        return None
    data, offsets = found
    if not (np.diff(offsets) == layout.length).all():
        return None
    rows = data[offsets[0] : offsets[-1]].reshape(len(text), layout.length)
    if not all((rows[:, place] == byte).all() for place, byte in layout.literals):
        return None
    iso = np.empty((len(text), layout.width), dtype=np.uint8)
    for start, place, word in layout.copies:  # a column of words, not of single bytes: quicker
        kind = _WORDS[word]
        iso[:, place : place + word].view(kind)[:, 0] = rows[:, start : start + word].view(kind)[:, 0]
    for place, byte in layout.constants:
        iso[:, place] = byte
    ends = np.arange(0, iso.size + 1, layout.width, dtype=np.int32)
    written = pa.Array.from_buffers(pa.string(), len(text), [None, pa.py_buffer(ends), pa.py_buffer(iso)])
    try:
        return pc.cast(written, pa.timestamp("s"))
    except pa.ArrowInvalid:  # a field out of range, or a day the month lacks: strptime decides
        return None


def parse_times(text: pa.Array, format: str) -> pa.Array:
    """``text`` (no surrounding spaces) as times to the second, written in ``format``; null
    where a value does not parse or names a day its month does not have.

    Text in a fixed layout is read through ISO order. Otherwise, ``strptime`` reads it, and
    a time landing where a day the month lacks would (``SPILL``) is checked against what its
    text says: its day read from the text's bytes where the format puts it in a fixed place;
    else the time is written back in ``format`` and, where that is not the text
    (``3/1/2023``, not zero-padded), Python's calendar, which refuses such a day, is asked."""
    fast = _iso_times(text, format)
    if fast is not None:
        return fast
    parsed = pc.strptime(text, format=format, unit="s", error_is_null=True)
    if parsed.null_count == len(parsed):
        return parsed
    seconds = np.frombuffer(parsed.buffers()[1], dtype=np.int64, count=len(parsed), offset=parsed.offset * 8)
    days = seconds // 86_400
    valid = pc.is_valid(parsed).to_numpy(zero_copy_only=False) if parsed.null_count else None
    if valid is not None:  # what a null's slot holds is no day: the first time stands in
        days = np.where(valid, days, days[np.argmax(valid)])
    landed = spill_days(days)  # the day of the month a time landed on, where a spill could land
    if valid is not None:
        landed[~valid] = 0
    rows = np.flatnonzero(landed)
    if not len(rows):
        return parsed
    impossible = _misread(text, parsed, format, rows, landed[rows])
    if not len(impossible):
        return parsed
    keep = np.ones(len(parsed), dtype=bool)
    keep[impossible] = False
    return pc.if_else(pa.array(keep), parsed, pa.scalar(None, parsed.type))


def _misread(text: pa.Array, parsed: pa.Array, format: str, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Which of ``rows`` (times on day ``day`` of their month) say another day in ``text``."""
    found, field = text_bytes(text), day_field(format)
    unsure = np.ones(len(rows), dtype=bool)
    wrong = np.zeros(len(rows), dtype=bool)
    if found is not None and field is not None:
        data, offsets = found
        at, length = field
        starts = offsets[rows].astype(np.int64)
        fixed = offsets[rows + 1] - starts == length  # written in full: the day is at ``at``
        first = starts[fixed] + at
        tens, ones = data[first].astype(np.int64) - 48, data[first + 1].astype(np.int64) - 48
        digits = (tens >= 0) & (tens <= 9) & (ones >= 0) & (ones <= 9)
        decided = np.flatnonzero(fixed)[digits]
        wrong[decided] = (tens * 10 + ones)[digits] != day[decided]
        unsure[decided] = False
    if unsure.any():
        unsure_rows = pa.array(rows[unsure])
        said = text.take(unsure_rows)
        try:
            same = pc.equal(pc.strftime(parsed.take(unsure_rows), format=format), said)
            differ = ~same.to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a format Arrow cannot write
            differ = np.ones(len(said), dtype=bool)
        asked = np.flatnonzero(unsure)[differ]
        values = said.filter(pa.array(differ)).to_pylist()
        wrong[asked] = [not _in_calendar(value, format) for value in values]
    return rows[wrong]


def _in_calendar(value: str, format: str) -> bool:
    try:
        datetime.strptime(value, format)
    except ValueError:
        return False
    return True
