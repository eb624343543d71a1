"""A canonical table read piece by piece: the measures' view of a source.

The measures never hold a whole source. Each Parquet row group becomes a ``Piece``: its rows cut
at the end of the reporting quarter, their month, and the integer codes of their text columns.
A ``Codebook`` gives a name the same code in every piece, so counts from one piece add to those
of the next; what the measures keep between pieces is only those counts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..params.measure import DATE_PART_CODES
from .grid import Cells

T = TypeVar("T")

PIECE_ROWS = 1 << 20  # date arithmetic a million rows at a time: small temporary arrays
ALL_ROWS = ("__all__",)  # the one series of a measure not split by a column
FEW_CODES = 4  # up to this many codes, ``Piece.among`` compares codes rather than looking up rows


def date_parts(dates: pd.Series, part: str) -> np.ndarray:
    """Per date: ``month`` (year * 12 + month - 1), ``weekday`` (Monday 0) or ``hour``; -1
    where there is no date. Computed from numpy's calendar units, piece by piece, so that
    memory holds the result and one piece, not whole-column temporaries. A month is looked up
    by day in a table of the days the piece spans (numpy's own month conversion is several
    times slower, and a piece spans few days)."""
    values = pd.to_datetime(dates).to_numpy()
    out = np.empty(len(values), dtype=np.int32)
    for start in range(0, len(values), PIECE_ROWS):
        piece = values[start : start + PIECE_ROWS]
        missing = np.isnat(piece)
        if part in {"month", "weekday"}:
            days = piece.astype("datetime64[D]").astype(np.int64)
            # a missing date's number is not a day: for the weekday, any day stands in (then -1)
            number = months_of(days, missing) if part == "month" else weekdays_of(np.where(missing, 0, days))
        else:
            number = piece.astype("datetime64[h]").astype(np.int64) % 24
        out[start : start + PIECE_ROWS] = np.where(missing, -1, number)
    return out


_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def day_numbers(values: np.ndarray) -> np.ndarray:
    """Each time's day, counted from 1970-01-01 (days before it are negative), for times that
    are all there (no NaT). Whole units of time divided by those in a day, rounding down as the
    calendar does: ten times quicker than numpy's conversion to days."""
    unit, count = np.datetime_data(values.dtype)
    if unit in _PER_DAY and count == 1:
        return values.view(np.int64) // _PER_DAY[unit]
    return values.astype("datetime64[D]").astype(np.int64)


def months_of(days: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """The month key of each day number (``missing`` rows get -1)."""
    gaps = missing is not None and bool(missing.any())
    dated = days[~missing] if gaps else days
    if not len(dated):
        return np.full(len(days), -1, dtype=np.int64)
    low, high = int(dated.min()), int(dated.max())
    table = np.arange(low, high + 1).astype("datetime64[D]").astype("datetime64[M]")
    month_of_day = table.astype(np.int64) + 1970 * 12
    if not gaps:
        return month_of_day[days - low]
    return np.where(missing, -1, month_of_day[np.where(missing, low, days) - low])


def weekdays_of(days: np.ndarray) -> np.ndarray:
    """The day of the week of each day number, Monday 0 (1970-01-01 was a Thursday, 3): looked
    up in a table of the days spanned, as months are (a division per row is slower)."""
    if not len(days):
        return np.zeros(0, dtype=np.int32)
    low = int(days.min())
    table = ((np.arange(low, int(days.max()) + 1) + 3) % 7).astype(np.int32)
    return table[days - low]


def month_key(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_name(key: int) -> str:
    return f"{key // 12:04d}-{key % 12 + 1:02d}"


@dataclass
class Codebook:
    """One column's names and their codes, shared by every piece of a source."""

    names: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def encode(self, values: pd.Series) -> np.ndarray:
        """The code of each value (-1 where missing); a name first seen here gets a new code."""
        if isinstance(values.dtype, pd.CategoricalDtype):
            local = values.cat.codes.to_numpy()
            uniques = [str(c) for c in values.cat.categories]
        else:
            local, found = pd.factorize(values, use_na_sentinel=True)
            uniques = [str(u) for u in found]
        for name in uniques:
            if name not in self.index:
                self.index[name] = len(self.names)
                self.names.append(name)
        # The last entry answers a local -1 (missing) with -1.
        lookup = np.array([self.index[name] for name in uniques] + [-1], dtype=np.int32)
        return lookup[local]


@dataclass
class Piece:
    """Rows of one source, cut at the quarter end, with their month and codes.

    Codes of a column are computed once per piece and shared by every measure of the source.
    ``index`` is the piece's place in the source, so that what is kept of pieces counted on
    different threads can be put back in order. A ``sealed`` piece may be counted on another
    thread: its text codes were all made beforehand, so the shared codebooks never change there.
    What the measures of a piece share (codes, the rows a condition picks, each row's grid cell)
    is made once, when first asked for.
    """

    frame: pd.DataFrame
    month: np.ndarray
    date_column: str
    codebooks: dict[str, Codebook] = field(default_factory=dict)
    _codes: dict[str, np.ndarray] = field(default_factory=dict)
    index: int = 0
    sealed: bool = False
    days: np.ndarray | None = None  # the date column's day numbers (every row is dated)
    _shared: dict[Hashable, Any] = field(default_factory=dict)  # see ``shared``

    def months(self) -> tuple[int, int] | None:
        """The first and last month of the piece's rows (None when it has none)."""
        if not len(self.month):
            return None
        return self.shared("months", lambda: (int(self.month.min()), int(self.month.max())))

    def dtype(self, column: str) -> Any:
        """A column's type (looked up in pandas once: every measure's condition asks)."""
        types = self.shared("dtypes", lambda: dict(zip(self.frame.columns, self.frame.dtypes, strict=True)))
        return types[column]

    def codes(self, column: str, part: str | None = None) -> tuple[np.ndarray, list[str]]:
        """``(code per row, name per code)``; missing values get code -1. With ``part``, the
        codes are a part of a date column: the day of the week or the hour."""
        if part:
            key = f"{column}:{part}"
            if key not in self._codes:
                if part == "weekday" and column == self.date_column and self.days is not None:
                    self._codes[key] = weekdays_of(self.days)
                else:
                    parts = "weekday" if part == "weekday" else "hour"
                    self._codes[key] = date_parts(self.frame[column], parts)
            return self._codes[key], list(DATE_PART_CODES[part])
        book = self.codebooks.setdefault(column, Codebook())
        if column not in self._codes:
            if self.sealed:
                raise RuntimeError(
                    f"the codes of column '{column}' were not made before the piece was sealed: "
                    "add it to the columns a measure codes (kinds.coded_columns)"
                )
            self._codes[column] = book.encode(self.frame[column])
        return self._codes[column], book.names

    def cells(self, column: str | None, part: str | None = None) -> tuple[Cells, list[str]]:
        """Each row's cell by ``column``'s codes (or its ``part``; with no column, one series
        for all rows) and month, and the names of the codes: made once per piece, whichever
        measures count by them."""

        def make() -> tuple[Cells, list[str]]:
            if column is None:
                codes, names = np.zeros(len(self.month), dtype=np.int32), list(ALL_ROWS)
            else:
                codes, names = self.codes(column, part)
            return Cells.of(codes, self.month, len(names), self.months()), names

        return self.shared(("cells", column, part), make)

    def shared(self, key: Hashable, make: Callable[[], T]) -> T:
        """What ``make`` makes of the piece, made once for every measure that asks by ``key``."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    def among(self, column: str, names: Iterable[str]) -> np.ndarray:
        """Whether each row's value in ``column`` is one of ``names`` (a missing value never
        is): a comparison of codes, not a search per row. Measures of a piece often ask the
        same question (their conditions are shared): it is answered once, read-only."""
        chosen = frozenset(names)

        def make() -> np.ndarray:
            codes, known = self.codes(column)
            wanted = [code for code, name in enumerate(known) if name in chosen]
            if len(wanted) <= FEW_CODES:  # a comparison per code: quicker than a lookup per row
                hit = np.zeros(len(codes), dtype=bool)
                for code in wanted:
                    hit |= codes == code
            else:  # one lookup per row; the table's last entry answers code -1 (missing)
                hit = np.array([name in chosen for name in known] + [False])[codes]
            hit.flags.writeable = False
            return hit

        return self.shared(("among", column, chosen), make)

    def seal(self, columns: set[str]) -> None:
        """Make the codes of ``columns`` (those in the piece) now, then allow no more."""
        for column in sorted(columns):
            if column in self.frame.columns:
                self.codes(column)
        self.sealed = True


def cut(
    frame: pd.DataFrame, date_column: str, end: date, codebooks: dict[str, Codebook], index: int = 0
) -> Piece:
    """The rows dated on or before ``end`` (a row without a date is never in a period)."""
    values = pd.to_datetime(frame[date_column]).to_numpy()
    last = np.datetime64(pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1))
    keep = (values.view(np.int64) <= last.astype(values.dtype).view(np.int64)) & ~np.isnat(values)
    if not keep.all():  # no copy of a piece that is all kept
        frame = frame.loc[keep].reset_index(drop=True)
        values = values[keep]
    days = day_numbers(values)  # the month, day of the week and records per day all come from them
    return Piece(frame, months_of(days).astype(np.int32), date_column, codebooks, index=index, days=days)


@dataclass
class SourceData:
    """A source's pieces and the dates its kept records span (``first`` starts the calendar)."""

    pieces: Iterable[Piece]
    first: date
    last: date


def pieces_of(frames: Iterable[pd.DataFrame], date_column: str, end: date) -> Iterator[Piece]:
    """Each frame cut at ``end``; the pieces share one codebook per column."""
    codebooks: dict[str, Codebook] = {}
    for index, frame in enumerate(frames):
        yield cut(frame, date_column, end, codebooks, index)


def prepare(frame: pd.DataFrame, date_column: str, end: date) -> SourceData:
    """A table held whole, as one piece: for the notebooks, tests and small tables."""
    piece = next(pieces_of([frame], date_column, end))
    dates = pd.to_datetime(piece.frame[date_column])
    first = dates.min().date() if len(dates) else end
    last = dates.max().date() if len(dates) else end
    return SourceData([piece], first, last)
