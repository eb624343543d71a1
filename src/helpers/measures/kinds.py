"""Measure kinds: how a canonical table becomes (period, series) cells.

A measure's rows carry the published value and the numerator and denominator behind it, and what
the privacy gate needs: the counts of people behind each cell (``privacy_counts``), the size of a
concentration figure's top group (``min_group``) and, for additive counts, the ``atoms`` (one
series in one month) a cell sums. The generic kinds are here: count, sum, share, mean and
snapshot; the familiar-neighbor kinds of initiative 2.11 are in ``helpers.familiar``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..core.language import ENGLISH
from ..core.periods import Period, periods_for
from ..data.coverage import NOT_AVAILABLE_NOTE
from ..params.measure import DATE_PART_CODES, Condition, Measure

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


PIECE_ROWS = 1 << 20  # date arithmetic a million rows at a time: small temporary arrays


def date_parts(dates: pd.Series, part: str) -> np.ndarray:
    """Per date: ``month`` (year * 12 + month - 1), ``weekday`` (Monday 0) or ``hour``; -1
    where there is no date. Computed from numpy's calendar units, piece by piece, so that
    memory holds the result and one piece, not whole-column temporaries."""
    values = pd.to_datetime(dates).to_numpy()
    out = np.empty(len(values), dtype=np.int32)
    for start in range(0, len(values), PIECE_ROWS):
        piece = values[start : start + PIECE_ROWS]
        if part == "month":
            number = piece.astype("datetime64[M]").astype(np.int64) + 1970 * 12
        elif part == "weekday":  # 1970-01-01 was a Thursday (3)
            number = (piece.astype("datetime64[D]").astype(np.int64) + 3) % 7
        else:
            number = piece.astype("datetime64[h]").astype(np.int64) % 24
        out[start : start + PIECE_ROWS] = np.where(np.isnat(piece), -1, number)
    return out


def month_index(dates: pd.Series) -> np.ndarray:
    return date_parts(dates, "month")


def month_key(d: date) -> int:
    return d.year * 12 + d.month - 1


def month_name(key: int) -> str:
    return f"{key // 12:04d}-{key % 12 + 1:02d}"


def _condition_mask(frame: pd.DataFrame, column: str, condition: Condition) -> np.ndarray:
    values = frame[column]
    mask = np.ones(len(frame), dtype=bool)
    if condition.in_ is not None:
        mask &= values.isin(condition.in_).to_numpy(dtype=bool)
    if condition.not_in is not None:
        mask &= ~values.isin(condition.not_in).to_numpy(dtype=bool)
    numeric = None
    for op in ("ge", "gt", "le", "lt"):
        bound = getattr(condition, op)
        if bound is None:
            continue
        if numeric is None:
            numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            mask &= {
                "ge": numeric >= bound,
                "gt": numeric > bound,
                "le": numeric <= bound,
                "lt": numeric < bound,
            }[op]
    if condition.notnull is not None:
        present = values.notna().to_numpy(dtype=bool)
        mask &= present if condition.notnull else ~present
    return mask


def where_mask(frame: pd.DataFrame, where: dict[str, Condition]) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for column, condition in where.items():
        mask &= _condition_mask(frame, column, condition)
    return mask


@dataclass
class SourceData:
    """A canonical table cut at the quarter end, with its month index.

    Integer codes of text columns are computed once and shared by every measure of the source.
    """

    frame: pd.DataFrame
    month: np.ndarray
    first: date
    last: date
    _codes: dict[str, tuple[np.ndarray, list[str]]] = field(default_factory=dict)

    def codes(self, column: str, part: str | None = None) -> tuple[np.ndarray, list[str]]:
        """``(code per row, name per code)``; missing values get code -1. With ``part``, the
        codes are a part of a date column: the day of the week or the hour."""
        if part:
            key = f"{column}:{part}"
            if key not in self._codes:
                codes = date_parts(self.frame[column], "weekday" if part == "weekday" else "hour")
                self._codes[key] = (codes, list(DATE_PART_CODES[part]))
            return self._codes[key]
        if column not in self._codes:
            values = self.frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                codes = values.cat.codes.to_numpy().astype(np.int32)
                names = [str(c) for c in values.cat.categories]
            else:
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                codes, names = codes.astype(np.int32), [str(u) for u in uniques]
            self._codes[column] = (codes, names)
        return self._codes[column]


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
# Generic kinds


@dataclass
class MonthGrid:
    """Counts (or sums) per series code and month: one ``np.bincount`` over the whole table."""

    values: dict[str, np.ndarray]
    first_month: int

    def total(self, codes: list[str], months: list[int]) -> float:
        total = 0.0
        for code in codes:
            row = self.values.get(code)
            if row is None:
                continue
            for month in months:
                index = month - self.first_month
                if 0 <= index < len(row):
                    total += float(row[index])
        return total


def _grouped_months(
    measure: Measure, data: SourceData, mask: np.ndarray, weights: np.ndarray | None
) -> tuple[list[Series], MonthGrid]:
    """Per series code: month -> count (or sum of ``weights``) of the rows in ``mask``."""
    first = int(data.month.min()) if len(data.month) else 0
    span = int(data.month.max()) - first + 1 if len(data.month) else 1
    if measure.series_by:
        codes, names = data.codes(measure.series_by.column, measure.series_by.part)
    else:
        codes, names = np.zeros(len(data.month), dtype=np.int32), ["__all__"]
    keep = mask & (codes >= 0)
    key = codes[keep] * span + (data.month[keep] - first)
    grid = np.bincount(
        key, weights=None if weights is None else weights[keep], minlength=len(names) * span
    ).reshape(len(names), span)
    present = [n for i, n in enumerate(names) if grid[i].any()] if measure.series_by else []
    series = series_for(measure, sorted(present))
    return series, MonthGrid({n: grid[i] for i, n in enumerate(names)}, first)


def _cells(
    measure: Measure, data: SourceData, end: date, series: list[Any]
) -> Iterator[tuple[Period, Any, list[str], list[int]]]:
    """Every reported (period, series) pair, with the series' codes and the period's month keys."""
    for period in periods_for(measure.grain, data.first, end):
        months = [month_key(m) for m in period.months]
        for s in series:
            yield period, s, s.parts or [s.code], months


def _additive(
    measure: Measure, data: SourceData, end: date, weights_column: str | None
) -> list[dict[str, Any]]:
    mask = where_mask(data.frame, measure.where)
    weights = pd.to_numeric(data.frame[weights_column]).to_numpy(dtype=float) if weights_column else None
    series, grid = _grouped_months(measure, data, mask, weights)
    rows = []
    population = measure.population_key
    counts_people = measure.counts_people
    for period, s, parts, months in _cells(measure, data, end, series):
        value = grid.total(parts, months)
        atoms = (
            [f"{population}|{code}|{month_name(m)}" for code in parts for m in months]
            if counts_people
            else []
        )
        rows.append(
            row(measure, period, s, value, privacy_counts=[value] if counts_people else [], atoms=atoms)
        )
    return rows


def _count(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    return _additive(measure, data, end, None)


def _sum(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    return _additive(measure, data, end, measure.value)


def _share(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    base = where_mask(data.frame, measure.where)
    measured_columns = list(measure.numerator_where)
    measured = base & _notnull(data.frame, measured_columns)
    hit = measured & where_mask(data.frame, measure.numerator_where)
    series, denominators = _grouped_months(measure, data, base, None)
    _, with_values = _grouped_months(measure, data, measured, None)
    _, numerators = _grouped_months(measure, data, hit, None)
    rows = []
    for period, s, parts, months in _cells(measure, data, end, series):
        den = with_values.total(parts, months)
        if den == 0:
            rows.append(_no_value(measure, period, s, denominators.total(parts, months), measured_columns))
            continue
        num = numerators.total(parts, months)
        counts = [num, den - num] if measure.counts_people else []
        rows.append(
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
    return rows


def _mean(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    mask = where_mask(data.frame, measure.where)
    assert measure.value is not None
    measured = mask & _notnull(data.frame, [measure.value])
    values = pd.to_numeric(data.frame[measure.value]).to_numpy(dtype=float)
    series, sums = _grouped_months(measure, data, measured, np.nan_to_num(values))
    _, counts = _grouped_months(measure, data, measured, None)
    _, records = _grouped_months(measure, data, mask, None)
    rows = []
    for period, s, parts, months in _cells(measure, data, end, series):
        n = counts.total(parts, months)
        if n == 0:
            rows.append(_no_value(measure, period, s, records.total(parts, months), [measure.value]))
            continue
        total = sums.total(parts, months)
        mean = total / n
        rows.append(
            row(
                measure,
                period,
                s,
                mean,
                numerator=total,
                denominator=n,
                privacy_counts=[mean] if measure.counts_people else [],
            )
        )
    return rows


def _snapshot(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    frame = data.frame.loc[where_mask(data.frame, measure.where)]
    date_column = measure.date or data.frame.attrs["date_column"]
    dates = pd.to_datetime(frame[date_column])
    codes = frame[measure.series_by.column].astype(str) if measure.series_by else None
    series = series_for(measure, sorted(set(codes)) if codes is not None else [])
    assert measure.numerator is not None
    assert measure.denominator is not None
    needed = [measure.numerator] + ([] if measure.value == "numerator" else [measure.denominator])
    rows = []
    for period in periods_for(measure.grain, data.first, end):
        inside = (dates >= pd.Timestamp(period.start)) & (dates <= pd.Timestamp(period.end))
        for s in series:
            if s.parts:
                continue  # totals of snapshots are not meaningful across departments
            pick = inside & ((codes == s.code) if codes is not None else True)
            if not pick.any():
                rows.append(row(measure, period, s, math.nan, status="no_records"))
                continue
            latest = frame.loc[dates[pick].idxmax()]
            if any(pd.isna(latest[c]) for c in needed):
                rows.append(_unmeasured(measure, period, s, [c for c in needed if pd.isna(latest[c])]))
                continue
            num = float(latest[measure.numerator])
            den = float(latest[measure.denominator]) if pd.notna(latest[measure.denominator]) else math.nan
            if measure.value == "numerator":
                value = num
            elif not den:
                rows.append(row(measure, period, s, math.nan, status="no_records"))
                continue
            elif measure.value == "rate":
                value = 100.0 * num / den
            else:
                value = 100.0 * (den - num) / den
            rows.append(row(measure, period, s, value, numerator=num, denominator=den))
    return rows


# A kind: (measure, source data, end of the reporting quarter) -> the measure's rows.
Kind = Callable[[Measure, SourceData, date], list[dict[str, Any]]]

GENERIC_KINDS: dict[str, Kind] = {
    "count": _count,
    "sum": _sum,
    "share": _share,
    "mean": _mean,
    "snapshot": _snapshot,
}
