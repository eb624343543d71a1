"""Measure kinds: how a canonical table becomes (period, series) cells.

A measure's rows carry the published value and the numerator and denominator behind it, and what
the privacy gate needs: the counts of people behind each cell (``privacy_counts``), the size of a
concentration figure's top group (``min_group``) and, for additive counts, the ``atoms`` (one
series in one month) a cell sums. A kind is an accumulator: it is fed a source one piece at a
time (``helpers.measures.pieces``) and keeps only counts per series and month between pieces.
The generic kinds are here: count, sum, share, mean and snapshot; the familiar-neighbor kinds of
initiative 2.11 are in ``helpers.measures.familiar``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..core.language import ENGLISH
from ..core.periods import Period, periods_for
from ..data.coverage import NOT_AVAILABLE_NOTE
from ..params.measure import Condition, Measure
from .grid import MonthGrid, counts_by_group
from .pieces import Piece, month_key, month_name

COLUMNS = [
    "measure",
    "period",
    "grain",
    "period_start",
    "period_end",
    "period_label",
    "series",
    "series_order",
    "value",
    "numerator",
    "denominator",
    "count",
    "privacy_counts",
    "min_group",
    "atoms",
    "status",
    "coverage_share",
    "status_note",
]
# A row's status: complete; partial (the source covers only part of the period: marked wherever
# the value is shown); missing (no records: no value, never 0); not_available (the measured
# column is absent or blank: no value); no_records (a ratio or average with nothing to divide:
# dropped when the period is covered, missing otherwise).
STATUSES = ("complete", "partial", "missing", "not_available", "no_records")


def _text(dtype: Any, listed: list[Any] | None) -> bool:
    """A text column compared with text: its codes can answer ``in`` and ``not_in`` (a column of
    numbers or mixed values is compared value by value, as ``isin`` does)."""
    if listed is None or not all(isinstance(v, str) for v in listed):
        return False
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(dtype.categories) == "string"
    return isinstance(dtype, pd.StringDtype)


def floats(numbers: pd.Series) -> np.ndarray:
    """A numeric column as floats (missing values NaN). A plain numpy column is converted by
    numpy directly: pandas' ``to_numpy(dtype=float)`` takes several times as long."""
    if isinstance(numbers.dtype, np.dtype):
        return np.asarray(numbers, dtype=float)
    return numbers.to_numpy(dtype=float)


_COMPARE = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}


def _condition_mask(piece: Piece, column: str, condition: Condition) -> np.ndarray:
    mask = np.ones(len(piece.month), dtype=bool)
    for listed, wanted in ((condition.in_, True), (condition.not_in, False)):
        if listed is None:
            continue
        if _text(piece.dtype(column), listed):
            hit = piece.among(column, listed)  # codes made once, shared by every measure
        else:
            hit = piece.frame[column].isin(listed).to_numpy(dtype=bool)
        mask &= hit if wanted else ~hit
    numeric = None
    for op in ("ge", "gt", "le", "lt"):
        bound = getattr(condition, op)
        if bound is None:
            continue
        if numeric is None:
            numeric = floats(pd.to_numeric(piece.frame[column], errors="coerce"))
        with np.errstate(invalid="ignore"):
            mask &= _COMPARE[op](numeric, bound)
    if condition.notnull is not None:
        present = piece.frame[column].notna().to_numpy(dtype=bool)
        mask &= present if condition.notnull else ~present
    return mask


def where_mask(piece: Piece, where: dict[str, Condition]) -> np.ndarray:
    mask = np.ones(len(piece.month), dtype=bool)
    for column, condition in where.items():
        mask &= _condition_mask(piece, column, condition)
    return mask


@dataclass
class Series:
    code: str
    label: str
    order: int
    parts: list[str] = field(default_factory=list)  # for a total: the codes it sums


def series_for(measure: Measure, present: list[str]) -> list[Series]:
    spec = measure.series_by
    if spec is None:
        return [Series("__all__", measure.series_label, 0)]
    codes = list(spec.default_order or sorted(present))
    codes += [c for c in sorted(present) if c not in codes]
    if spec.part:
        codes = [c for c in codes if c in present]
    out = [Series(c, spec.label(c, ENGLISH), i) for i, c in enumerate(codes)]
    if spec.total:
        out.append(Series("__total__", spec.total, len(out), parts=codes))
    return out


def row(
    measure: Measure,
    period: Period,
    series: Series,
    value: float,
    *,
    numerator: float = math.nan,
    denominator: float = math.nan,
    privacy_counts: list[float] | None = None,
    min_group: float = math.nan,
    atoms: list[str] | None = None,
    status: str = "complete",
    note: str = "",
) -> dict[str, Any]:
    return {
        "measure": measure.id,
        "period": period.id,
        "grain": period.grain,
        "period_start": period.start,
        "period_end": period.end,
        "period_label": ENGLISH.period_label(period.id, period.grain, period.start, period.end),
        "series": series.label,
        "series_order": series.order,
        "value": float(value),
        "numerator": float(numerator),
        "denominator": float(denominator),
        # The records behind the figure: calls for a share, sessions for an average.
        "count": float(value) if math.isnan(float(denominator)) else float(denominator),
        "privacy_counts": privacy_counts or [],
        "min_group": float(min_group),
        "atoms": atoms or [],
        "status": status,
        "coverage_share": 1.0,
        "status_note": note,
    }


def _unmeasured(measure: Measure, period: Period, series: Series, columns: list[str]) -> dict[str, Any]:
    """A cell whose measured column holds no value at all: "not available", never 0."""
    note = NOT_AVAILABLE_NOTE.format(columns=", ".join(columns))
    return row(measure, period, series, math.nan, status="not_available", note=note)


def _no_value(
    measure: Measure, period: Period, series: Series, records: float, columns: list[str]
) -> dict[str, Any]:
    """A cell with nothing to measure: its records lack the measured ``columns`` ("not
    available"), or there are no records at all."""
    if records > 0:
        return _unmeasured(measure, period, series, columns)
    return row(measure, period, series, math.nan, status="no_records")


def _notnull(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for column in columns:
        mask &= frame[column].notna().to_numpy(dtype=bool)
    return mask


# --------------------------------------------------------------------------------------------
# Generic kinds: each measure is an accumulator fed one piece at a time


class Accumulator:
    """One measure computed from a source's pieces: ``add`` each piece, then ask for ``rows``."""

    groupable = False  # whether ``add_by_group`` can count it: it keeps only counts in grids

    def __init__(self, measure: Measure) -> None:
        self.measure = measure
        self.grids: dict[str, MonthGrid] = {}
        self._groups: tuple[np.ndarray, list[Accumulator]] | None = None

    def add(self, piece: Piece) -> None:
        raise NotImplementedError

    def add_by_group(self, piece: Piece, groups: np.ndarray, each: list[Accumulator]) -> None:
        """Count ``piece`` into each group's accumulator of this measure (``each``; ``groups``:
        each row's place in it, -1 for none), exactly as if each were fed its group's rows
        alone. The measure's conditions are worked out once on the whole piece, and each count
        is split by group in one bincount: the district measures, without a piece per district."""
        if not self.groupable:
            raise TypeError(f"measure '{self.measure.id}' ({self.measure.kind}) keeps rows, not counts")
        self._groups = (groups, each)
        try:
            self.add(piece)
        finally:
            self._groups = None

    def merge(self, other: Accumulator) -> None:
        """Take in what another accumulator of the same measure counted from other pieces of
        the same source (their codes come from the same codebooks)."""
        for name, grid in other.grids.items():
            if name in self.grids:
                self.grids[name].merge(grid)
            else:
                self.grids[name] = grid

    def rows(self, first: date, end: date) -> list[dict[str, Any]]:
        """The measure's rows for every period from ``first``'s to the one ending at ``end``."""
        raise NotImplementedError

    def _count(self, name: str, piece: Piece, mask: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Add the rows in ``mask`` (or their ``weights``) to grid ``name``, per series and month."""
        spec = self.measure.series_by
        cells, names = piece.cells(spec.column, spec.part) if spec else piece.cells(None)
        if self._groups is None:
            self._grid_of(name, names).add(cells, mask, weights)
            return
        groups, each = self._groups
        for accumulator, counted in zip(
            each, counts_by_group(cells, mask, weights, groups, len(each)), strict=True
        ):
            if counted is not None:
                accumulator._grid_of(name, names).add_counts(cells, counted)

    def _grid_of(self, name: str, names: list[str]) -> MonthGrid:
        """Grid ``name``, made (for codes ``names``) if it is not yet."""
        if name not in self.grids:
            self.grids[name] = MonthGrid(names)
        return self.grids[name]

    def _grid(self, name: str) -> MonthGrid:
        return self.grids.get(name) or MonthGrid([])

    def _series(self, name: str) -> list[Series]:
        present = self._grid(name).present() if self.measure.series_by else []
        return series_for(self.measure, sorted(present))

    def _cells(
        self, first: date, end: date, series: list[Series]
    ) -> Iterator[tuple[Period, Series, list[str], list[int]]]:
        """Every reported (period, series) pair, with the series' codes and the period's month keys."""
        for period in periods_for(self.measure.grain, first, end):
            months = [month_key(m) for m in period.months]
            for s in series:
                yield period, s, s.parts or [s.code], months


class Additive(Accumulator):
    """``count`` (rows) and ``sum`` (of the ``value`` column)."""

    groupable = True

    def __init__(self, measure: Measure, weights_column: str | None) -> None:
        super().__init__(measure)
        self.weights_column = weights_column

    def add(self, piece: Piece) -> None:
        column = self.weights_column
        weights = floats(pd.to_numeric(piece.frame[column])) if column else None
        self._count("rows", piece, where_mask(piece, self.measure.where), weights)

    def rows(self, first: date, end: date) -> list[dict[str, Any]]:
        measure, grid = self.measure, self._grid("rows")
        population, counts_people = measure.population_key, measure.counts_people
        out = []
        for period, s, parts, months in self._cells(first, end, self._series("rows")):
            value = grid.total(parts, months)
            atoms = (
                [f"{population}|{code}|{month_name(m)}" for code in parts for m in months]
                if counts_people
                else []
            )
            out.append(
                row(measure, period, s, value, privacy_counts=[value] if counts_people else [], atoms=atoms)
            )
        return out


class Share(Accumulator):
    """The share of records meeting ``numerator_where``, among those with its columns recorded."""

    groupable = True

    def add(self, piece: Piece) -> None:
        frame, measure = piece.frame, self.measure
        base = where_mask(piece, measure.where)
        measured = base & _notnull(frame, list(measure.numerator_where))
        self._count("records", piece, base)
        self._count("measured", piece, measured)
        self._count("hit", piece, measured & where_mask(piece, measure.numerator_where))

    def rows(self, first: date, end: date) -> list[dict[str, Any]]:
        measure = self.measure
        records, measured, hits = self._grid("records"), self._grid("measured"), self._grid("hit")
        out = []
        for period, s, parts, months in self._cells(first, end, self._series("records")):
            den = measured.total(parts, months)
            if den == 0:
                out.append(
                    _no_value(measure, period, s, records.total(parts, months), list(measure.numerator_where))
                )
                continue
            num = hits.total(parts, months)
            counts = [num, den - num] if measure.counts_people else []
            out.append(
                row(
                    measure,
                    period,
                    s,
                    100.0 * num / den,
                    numerator=num,
                    denominator=den,
                    privacy_counts=counts,
                )
            )
        return out


class Mean(Accumulator):
    """The average of the ``value`` column over the records that have one."""

    groupable = True

    def add(self, piece: Piece) -> None:
        frame, measure = piece.frame, self.measure
        assert measure.value is not None
        mask = where_mask(piece, measure.where)
        measured = mask & _notnull(frame, [measure.value])
        values = floats(pd.to_numeric(frame[measure.value]))
        self._count("sums", piece, measured, np.nan_to_num(values))
        self._count("counts", piece, measured)
        self._count("records", piece, mask)

    def rows(self, first: date, end: date) -> list[dict[str, Any]]:
        measure = self.measure
        assert measure.value is not None
        sums, counts, records = self._grid("sums"), self._grid("counts"), self._grid("records")
        out = []
        for period, s, parts, months in self._cells(first, end, self._series("sums")):
            n = counts.total(parts, months)
            if n == 0:
                out.append(_no_value(measure, period, s, records.total(parts, months), [measure.value]))
                continue
            total = sums.total(parts, months)
            mean = total / n
            counted = [mean] if measure.counts_people else []
            out.append(row(measure, period, s, mean, numerator=total, denominator=n, privacy_counts=counted))
        return out


class Snapshot(Accumulator):
    """The latest snapshot in each period: snapshot tables are small, so their rows are kept."""

    def __init__(self, measure: Measure) -> None:
        super().__init__(measure)
        self.kept: list[tuple[int, pd.DataFrame]] = []  # (piece index, its rows)
        self.date_column = measure.date or ""

    def add(self, piece: Piece) -> None:
        measure = self.measure
        self.date_column = measure.date or piece.date_column
        needed = [self.date_column, measure.numerator, measure.denominator]
        if measure.series_by:
            needed.append(measure.series_by.column)
        columns = list(dict.fromkeys(c for c in needed if c))
        self.kept.append((piece.index, piece.frame.loc[where_mask(piece, measure.where), columns]))

    def merge(self, other: Accumulator) -> None:
        assert isinstance(other, Snapshot)
        if other.kept:
            self.kept += other.kept
            self.date_column = other.date_column

    def rows(self, first: date, end: date) -> list[dict[str, Any]]:
        measure = self.measure
        frame = pd.concat([kept for _, kept in sorted(self.kept, key=lambda k: k[0])], ignore_index=True)
        dates = pd.to_datetime(frame[self.date_column])
        codes = frame[measure.series_by.column].astype(str) if measure.series_by else None
        series = series_for(measure, sorted(set(codes)) if codes is not None else [])
        assert measure.numerator is not None
        assert measure.denominator is not None
        needed = [measure.numerator] + ([] if measure.value == "numerator" else [measure.denominator])
        out = []
        # numpy, not pandas, for the comparisons: a period and series at a time, they add up
        stamps = dates.to_numpy()
        of_series = {s.code: codes.to_numpy() == s.code for s in series} if codes is not None else {}
        for period in periods_for(measure.grain, first, end):
            inside = (stamps >= np.datetime64(period.start)) & (stamps <= np.datetime64(period.end))
            for s in series:
                if s.parts:
                    continue  # totals of snapshots are not meaningful across departments
                pick = np.flatnonzero(inside & of_series[s.code] if codes is not None else inside)
                if not len(pick):
                    out.append(row(measure, period, s, math.nan, status="no_records"))
                    continue
                latest = frame.iloc[pick[np.argmax(stamps[pick])]]  # the first of the latest, as idxmax
                if any(pd.isna(latest[c]) for c in needed):
                    out.append(_unmeasured(measure, period, s, [c for c in needed if pd.isna(latest[c])]))
                    continue
                num = float(latest[measure.numerator])
                den = (
                    float(latest[measure.denominator]) if pd.notna(latest[measure.denominator]) else math.nan
                )
                if measure.value == "numerator":
                    value = num
                elif not den:
                    out.append(row(measure, period, s, math.nan, status="no_records"))
                    continue
                elif measure.value == "rate":
                    value = 100.0 * num / den
                else:
                    value = 100.0 * (den - num) / den
                out.append(row(measure, period, s, value, numerator=num, denominator=den))
        return out


def coded_columns(measure: Measure) -> set[str]:
    """The columns whose text codes a measure may ask of a piece: its series, and the columns
    its conditions compare with text (``in``, ``not_in``)."""
    columns = set()
    if measure.series_by and not measure.series_by.part:
        columns.add(measure.series_by.column)
    for where in (measure.where, measure.numerator_where):
        columns |= {c for c, cond in where.items() if cond.in_ is not None or cond.not_in is not None}
    if measure.familiar:
        columns.add(measure.familiar.agency)
    return columns


# A kind makes a measure's accumulator.
Kind = Callable[[Measure], Accumulator]

GENERIC_KINDS: dict[str, Kind] = {
    "count": lambda m: Additive(m, None),
    "sum": lambda m: Additive(m, m.value),
    "share": Share,
    "mean": Mean,
    "snapshot": Snapshot,
}
