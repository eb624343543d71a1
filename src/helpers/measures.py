"""Canonical tables -> one tidy table per measure, for one reporting quarter.

A measure's rows are (period, series) cells carrying the published value and the numerator and
denominator behind it. Each row also carries what the privacy gate needs: the counts of people
behind it (``privacy_counts``), the size of a concentration figure's top group (``min_group``),
and, for additive counts, the ``atoms`` (one series in one month) the cell sums.

Only data up to the end of the reporting quarter is used, so a past quarter's report can be
rebuilt exactly from a later extract (as long as the records did not change).
"""

from __future__ import annotations

import hashlib
import math
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .coverage import Coverage, SourceCoverage
from .ingest import load_canonical
from .paths import ProjectPaths
from .periods import FiscalQuarter, Period, periods_for, rolling_period
from .plan import DATE_PART_CODES, Condition, Measure, Plan
from .privacy import PrivacyRules, gate
from .quarters import QuarterParams, stale_policy
from .records import CoverageRecord, MeasureRecord, PrivacySummary, Publication, write_record
from .settings import Settings
from .sources import read_ingest_record, swap_directory

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


def _month_index(dates: pd.Series) -> np.ndarray:
    values = pd.to_datetime(dates)
    return (values.dt.year.to_numpy() * 12 + values.dt.month.to_numpy() - 1).astype(np.int64)


def _month_key(d: date) -> int:
    return d.year * 12 + d.month - 1


def _month_name(key: int) -> str:
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
                values = pd.to_datetime(self.frame[column])
                index = values.dt.day_of_week if part == "weekday" else values.dt.hour
                codes = index.fillna(-1).to_numpy().astype(np.int64)
                self._codes[key] = (codes, list(DATE_PART_CODES[part]))
            return self._codes[key]
        if column not in self._codes:
            values = self.frame[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                codes = values.cat.codes.to_numpy().astype(np.int64)
                names = [str(c) for c in values.cat.categories]
            else:
                codes, uniques = pd.factorize(values, use_na_sentinel=True)
                codes, names = codes.astype(np.int64), [str(u) for u in uniques]
            self._codes[column] = (codes, names)
        return self._codes[column]


@dataclass
class Series:
    code: str
    label: str
    order: int
    parts: list[str] = field(default_factory=list)  # for a total: the codes it sums


def _series_for(measure: Measure, present: list[str]) -> list[Series]:
    spec = measure.series_by
    if spec is None:
        return [Series("__all__", measure.series_label, 0)]
    codes = list(spec.default_order or sorted(present))
    codes += [c for c in sorted(present) if c not in codes]
    if spec.part:
        codes = [c for c in codes if c in present]
    out = [Series(c, spec.label(c), i) for i, c in enumerate(codes)]
    if spec.total:
        out.append(Series("__total__", spec.total, len(out), parts=codes))
    return out


def _row(
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
        "period_label": period.label,
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
    names = ", ".join(columns)
    note = f"not available: the export has no values in {names} for this period"
    return _row(measure, period, series, math.nan, status="not_available", note=note)


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
        codes, names = np.zeros(len(data.month), dtype=np.int64), ["__all__"]
    keep = mask & (codes >= 0)
    key = codes[keep] * span + (data.month[keep] - first)
    grid = np.bincount(
        key, weights=None if weights is None else weights[keep], minlength=len(names) * span
    ).reshape(len(names), span)
    present = [n for i, n in enumerate(names) if grid[i].any()] if measure.series_by else []
    series = _series_for(measure, sorted(present))
    return series, MonthGrid({n: grid[i] for i, n in enumerate(names)}, first)


def _cells(
    measure: Measure, data: SourceData, end: date, series: list[Any]
) -> Iterator[tuple[Period, Any, list[str], list[int]]]:
    """Every reported (period, series) pair, with the series' codes and the period's month keys."""
    for period in periods_for(measure.grain, data.first, end):
        months = [_month_key(m) for m in period.months]
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
            [f"{population}|{code}|{_month_name(m)}" for code in parts for m in months]
            if counts_people
            else []
        )
        rows.append(
            _row(measure, period, s, value, privacy_counts=[value] if counts_people else [], atoms=atoms)
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
            if denominators.total(parts, months) > 0:
                rows.append(_unmeasured(measure, period, s, measured_columns))
            else:
                rows.append(_row(measure, period, s, math.nan, status="no_records"))
            continue
        num = numerators.total(parts, months)
        counts = [num, den - num] if measure.counts_people else []
        rows.append(
            _row(
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
            if records.total(parts, months) > 0:
                rows.append(_unmeasured(measure, period, s, [measure.value]))
            else:
                rows.append(_row(measure, period, s, math.nan, status="no_records"))
            continue
        total = sums.total(parts, months)
        mean = total / n
        rows.append(
            _row(
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
    series = _series_for(measure, sorted(set(codes)) if codes is not None else [])
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
                rows.append(_row(measure, period, s, math.nan, status="no_records"))
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
                rows.append(_row(measure, period, s, math.nan, status="no_records"))
                continue
            elif measure.value == "rate":
                value = 100.0 * num / den
            else:
                value = 100.0 * (den - num) / den
            rows.append(_row(measure, period, s, value, numerator=num, denominator=den))
    return rows


# --------------------------------------------------------------------------------------------
# Familiar neighbors (initiative 2.11)


@dataclass
class _People:
    """Identified responses of the listed agencies: person code, month, agency."""

    person: np.ndarray
    month: np.ndarray
    agency: np.ndarray


def _people(measure: Measure, data: SourceData) -> _People:
    assert measure.familiar is not None
    frame = data.frame
    person, _ = data.codes("person_key")
    agency, agency_names = data.codes("agency")
    listed = np.array([name in measure.familiar.agencies for name in agency_names] + [False])
    mask = (person >= 0) & listed[agency] & where_mask(frame, measure.where)
    names = np.array([*agency_names, ""], dtype=object)
    return _People(person[mask], data.month[mask], names[agency[mask]])


def _window_counts(people: _People, period: Period) -> np.ndarray:
    inside = (people.month >= _month_key(period.start)) & (people.month <= _month_key(period.end))
    return np.bincount(people.person[inside], minlength=int(people.person.max(initial=-1)) + 1)


def _window_for(quarter_period: Period, months: int, floor: date) -> Period:
    return rolling_period(quarter_period.end, months, floor=floor)


def _familiar_interactions(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    people = _people(measure, data)
    series = _series_for(measure, familiar.agencies)
    rows = []
    population = measure.population_key
    for period in periods_for("quarter", data.first, end):
        window = _window_for(period, familiar.window_months, data.first)
        counts = _window_counts(people, window)
        is_familiar = counts >= familiar.threshold
        in_quarter = (people.month >= _month_key(period.start)) & (people.month <= _month_key(period.end))
        hit = in_quarter & is_familiar[people.person] if len(counts) else in_quarter & False
        by_agency = pd.Series(people.agency[hit]).value_counts()
        for s in series:
            parts = s.parts or [s.code]
            value = float(sum(by_agency.get(code, 0) for code in parts))
            atoms = [f"{population}|{code}|{period.id}" for code in parts]
            rows.append(_row(measure, period, s, value, privacy_counts=[value], atoms=atoms))
    return rows


def _familiar_concentration(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    people = _people(measure, data)
    series = _series_for(measure, [])[0]
    rows = []
    for window in periods_for("rolling_12_months", data.first, end):
        counts = _window_counts(people, window)
        served = np.sort(counts[counts > 0])[::-1]
        if not len(served):
            continue
        top = math.ceil(familiar.top_share_percent / 100.0 * len(served))
        top_total, total = float(served[:top].sum()), float(served.sum())
        rows.append(
            _row(
                measure,
                window,
                series,
                100.0 * top_total / total,
                numerator=top_total,
                denominator=total,
                privacy_counts=[top_total, total],
                min_group=top,
            )
        )
    return rows


def _familiar_bands(measure: Measure, data: SourceData, end: date) -> list[dict[str, Any]]:
    familiar = measure.familiar
    assert familiar is not None
    people = _people(measure, data)
    bands = familiar.bands
    population = measure.population_key
    rows = []
    for window in periods_for("rolling_12_months", data.first, end):
        counts = _window_counts(people, window)
        for i, low in enumerate(bands):
            s = Series(f"{low}+", f"{low} or more times", i)
            value = float((counts >= low).sum())
            atoms = [f"{population}|{window.id}|band{j}" for j in range(i, len(bands))]
            rows.append(_row(measure, window, s, value, privacy_counts=[value], atoms=atoms))
    return rows


KINDS: dict[str, Callable[[Measure, SourceData, date], list[dict[str, Any]]]] = {
    "count": _count,
    "sum": _sum,
    "share": _share,
    "mean": _mean,
    "snapshot": _snapshot,
    "familiar_neighbor_interactions": _familiar_interactions,
    "familiar_neighbor_concentration": _familiar_concentration,
    "familiar_neighbor_bands": _familiar_bands,
}


def compute(measure: Measure, data: SourceData, end: date) -> pd.DataFrame:
    """The rows of one measure for every period that ends on or before ``end``."""
    rows = KINDS[measure.kind](measure, data, end)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        return frame
    return frame.sort_values(["period_end", "period_start", "series_order"], kind="stable").reset_index(
        drop=True
    )


def prepare(frame: pd.DataFrame, date_column: str, end: date) -> SourceData:
    """Cut a canonical table at ``end`` and index its months, once per source."""
    dates = pd.to_datetime(frame[date_column])
    keep = (dates <= pd.Timestamp(end) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)).to_numpy()
    cut = frame if keep.all() else frame.loc[keep].reset_index(drop=True)
    cut.attrs["date_column"] = date_column
    kept_dates = dates[keep]
    first = kept_dates.min().date() if len(kept_dates) else end
    last = kept_dates.max().date() if len(kept_dates) else end
    return SourceData(cut, _month_index(cut[date_column]), first, last)


def needed_columns(plan: Plan, source: str, date_column: str) -> list[str]:
    """Only the canonical columns some measure of ``source`` reads (keeps memory low)."""
    columns = {date_column}
    for m in plan.measures:
        if m.source != source:
            continue
        columns |= set(m.where) | set(m.numerator_where)
        for name in (
            m.date,
            m.value if m.kind in {"mean", "sum"} else None,
            m.numerator,
            m.denominator,
            m.series_by.column if m.series_by else None,
        ):
            if name:
                columns.add(name)
        if m.familiar:
            columns |= {"person_key", "agency"}
    return sorted(columns)


# --------------------------------------------------------------------------------------------
# The stage: every measure of one quarter, gated and written for publication


class StaleDataError(RuntimeError):
    """A source does not cover the quarter and the params say that must stop the build."""


def apply_coverage(frame: pd.DataFrame, cover: SourceCoverage) -> pd.DataFrame:
    """Mark each row with how much of its period the source covers: a missing period loses its
    value (a gap, never 0), a partial one keeps it, marked, with the share covered."""
    if frame.empty:
        return frame
    frame = frame.copy()
    verdicts: dict[tuple[date, date], Coverage] = {}
    keep = np.ones(len(frame), dtype=bool)
    for i, row in enumerate(frame.itertuples(index=False)):
        span = (row.period_start, row.period_end)
        if span not in verdicts:
            verdicts[span] = cover.period(*span)
        verdict = verdicts[span]
        if row.status == "not_available":
            continue
        if verdict.complete:
            keep[i] = row.status != "no_records"  # nothing to divide, and nothing missing
            continue
        if verdict.status == "missing" or row.status == "no_records":
            frame.iat[i, frame.columns.get_loc("status")] = "missing"
            frame.iat[i, frame.columns.get_loc("status_note")] = f"no data: {verdict.describe()}"
        else:
            frame.iat[i, frame.columns.get_loc("status")] = "partial"
            frame.iat[i, frame.columns.get_loc("status_note")] = f"incomplete: {verdict.describe()}"
        frame.iat[i, frame.columns.get_loc("coverage_share")] = verdict.share
    frame = frame.loc[keep].reset_index(drop=True)
    unpublished = frame["status"].isin(["missing", "not_available"])
    for column in ("value", "numerator", "denominator", "count"):
        frame.loc[unpublished, column] = np.nan
    # Nothing is published for these cells, so they add nothing to the privacy gate's arithmetic.
    for column in ("privacy_counts", "atoms"):
        frame[column] = [[] if gone else list(v) for gone, v in zip(unpublished, frame[column])]
    return frame


@dataclass
class QuarterTables:
    quarter: FiscalQuarter
    frame: pd.DataFrame  # gated rows of every measure
    status: dict[str, dict[str, Any]]  # per measure: status, data_through, source
    gate_summary: dict[str, Any]
    sources: dict[str, CoverageRecord] = field(default_factory=dict)  # coverage of the quarter


def source_coverage(settings: Settings, source: str, data: SourceData) -> SourceCoverage:
    """The source's coverage, counted from the very records the measures use."""
    from .ingest import records_per_day

    column = data.frame.attrs["date_column"]
    days = records_per_day(pa.chunked_array([pa.array(pd.to_datetime(data.frame[column]))]))
    return SourceCoverage(settings.sources.sources[source], days)


def quarter_coverage(
    settings: Settings, source: str, cover: SourceCoverage, quarter: FiscalQuarter
) -> CoverageRecord:
    """How completely a source covers the reporting quarter, for the publication record."""
    verdict = cover.period(quarter.start, quarter.end)
    through = cover.covered_through(quarter.end)
    record = read_ingest_record(settings.paths)
    ingested = record.sources.get(source) if record else None
    return CoverageRecord(
        title=settings.sources.sources[source].title,
        status=verdict.status,
        covered=verdict.covered,
        expected=verdict.expected,
        unit=verdict.unit,
        share=round(verdict.share, 4),
        gaps=[[a.isoformat(), b.isoformat()] for a, b in verdict.gaps],
        data_through=through.isoformat() if through else None,
        skipped_rows=ingested.skipped_rows if ingested else {},
    )


def _incomplete_error(measure: Measure, source: str, info: CoverageRecord, quarter: FiscalQuarter) -> str:
    gaps = "; ".join(f"{a} to {b}" for a, b in info.gaps[:5])
    return (
        f"Source '{source}' ({info.title}) is incomplete for {quarter.long_label}: "
        f"{info.covered} of {info.expected} {info.unit}s have records (gaps: {gaps}), and "
        f"measure '{measure.id}' must not be published from incomplete data. Load a complete "
        f"extract into data/raw, or set `if_stale: {{{measure.id}: mark_unavailable}}` in "
        f"params/quarters/{quarter.id}.yml to publish it with the gap shown."
    )


def compute_quarter(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams | None,
    previous: pd.DataFrame | None,
    only: set[str] | None = None,
) -> QuarterTables:
    """Compute and gate every measure of the plan (or those in ``only``) for ``quarter``."""
    paths, plan = settings.paths, settings.plan
    prepared: dict[str, tuple[SourceData, SourceCoverage, CoverageRecord]] = {}
    status: dict[str, dict[str, Any]] = {}
    frames = []
    for measure in plan.measures:
        if only is not None and measure.id not in only:
            continue
        spec = settings.sources.sources[measure.source]
        if measure.source not in prepared:
            columns = needed_columns(plan, measure.source, spec.date_column)
            data = prepare(load_canonical(paths, measure.source, columns), spec.date_column, quarter.end)
            cover = source_coverage(settings, measure.source, data)
            info = quarter_coverage(settings, measure.source, cover, quarter)
            if params is not None and measure.source in params.require_complete and info.status != "complete":
                raise StaleDataError(_incomplete_error(measure, measure.source, info, quarter))
            prepared[measure.source] = (data, cover, info)
        data, cover, info = prepared[measure.source]
        complete = info.status == "complete"
        if not complete:
            policy = stale_policy(plan, params, measure.id) if params is not None else measure.if_stale
            if policy == "fail":
                raise StaleDataError(_incomplete_error(measure, measure.source, info, quarter))
        frames.append(apply_coverage(compute(measure, data, quarter.end), cover))
        status[measure.id] = {
            "status": "current" if complete else "incomplete",
            "data_through": info.data_through or quarter.start.isoformat(),
            "source": measure.source,
        }
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True)
    gated, summary = gate(frame, settings.privacy, settings.populations(), previous)
    sources = {name: info for name, (_, _, info) in sorted(prepared.items())}
    return QuarterTables(quarter, gated, status, summary.as_dict(), sources)


CSV_NOTE_SUPPRESSED = "hidden to protect privacy: {text}"
CSV_NOTE_SECONDARY = "hidden so that a smaller number elsewhere cannot be worked out"
CSV_NOTE_UNSTABLE = "based on {floor} to {high} people or events: interpret with care"


def _csv_number(value: float, decimals: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.{decimals}f}"


def _csv_status(status: str, note: str) -> str:
    """Whether the row's data is complete, in words a spreadsheet user reads."""
    if status == "complete":
        return "complete"
    return note or status.replace("_", " ")


def csv_table(
    measure: Measure,
    rows: pd.DataFrame,
    rules: PrivacyRules,
    data_through: str,
    source_title: str,
    sample: bool,
) -> pd.DataFrame:
    """The download CSV of one measure: one row per period and series, plain column names."""
    decimals = measure.value_decimals
    notes = []
    for row in rows.itertuples():
        if row.suppression == "secondary":
            notes.append(CSV_NOTE_SECONDARY)
        elif row.suppressed:
            notes.append(CSV_NOTE_SUPPRESSED.format(text=rules.suppressed_text))
        elif row.unstable:
            notes.append(CSV_NOTE_UNSTABLE.format(floor=rules.floor, high=rules.unstable_at_or_below))
        else:
            notes.append("")
    out = pd.DataFrame(
        {
            "measure": measure.caption,
            "period": rows["period"].to_numpy(),
            "period_label": rows["period_label"].to_numpy(),
            "series": rows["series"].to_numpy(),
            measure.value_label: [_csv_number(v, decimals) for v in rows["value"]],
        }
    )
    count_decimals = 0 if measure.unit != "positions" else 1
    if measure.numerator_label and measure.value != "numerator":
        out[measure.numerator_label] = [_csv_number(v, count_decimals) for v in rows["numerator"]]
    if measure.denominator_label:
        out[measure.denominator_label] = [_csv_number(v, count_decimals) for v in rows["denominator"]]
    out["data_status"] = [_csv_status(row.status, row.status_note) for row in rows.itertuples()]
    out["note"] = notes
    out["data_through"] = data_through
    out["source"] = source_title
    if sample:
        out["sample_data"] = "yes: synthetic sample data, not City records"
    return out


def write_quarter(
    settings: Settings, tables: QuarterTables, params: QuarterParams | None, code_version: str
) -> Path:
    """Write gated parquet, download CSVs and ``publication.json``; all or nothing."""
    paths, plan = settings.paths, settings.plan
    record = read_ingest_record(paths)
    sample = bool(record and record.sample_data)
    target = paths.quarter_dir(tables.quarter)
    paths.processed.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{tables.quarter.id}-", dir=paths.processed))
    staging.chmod(0o755)
    try:
        (staging / "measures").mkdir()
        (staging / "csv").mkdir()
        measures_record = {}
        for measure in plan.measures:
            rows = tables.frame[tables.frame["measure"] == measure.id].reset_index(drop=True)
            table = pa.Table.from_pandas(rows, preserve_index=False).replace_schema_metadata(None)
            pq.write_table(
                table,
                staging / "measures" / f"{measure.id}.parquet",
                compression="zstd",
                write_statistics=False,
            )
            info = tables.status[measure.id]
            csv = csv_table(
                measure,
                rows,
                settings.privacy,
                info["data_through"],
                settings.sources.sources[measure.source].title,
                sample,
            )
            csv_path = staging / "csv" / f"{measure.id}.csv"
            csv.to_csv(csv_path, index=False, lineterminator="\n")
            measures_record[measure.id] = MeasureRecord(
                **info,
                rows=len(rows),
                suppressed=int(rows["suppressed"].sum()),
                csv=f"csv/{measure.id}.csv",
                csv_sha256=hashlib.sha256(csv_path.read_bytes()).hexdigest(),
            )
        canonical = {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(paths.canonical.glob("*.parquet"))
        }
        publication = Publication(
            quarter=tables.quarter,
            sample_data=sample,
            data_as_of=params.data_as_of.isoformat() if params else None,
            next_update=params.next_update.isoformat() if params else None,
            code_version=code_version,
            inputs={"canonical": canonical, "params": settings.file_hashes()},
            privacy=PrivacySummary(floor=settings.privacy.floor, **tables.gate_summary),
            measures=measures_record,
            sources=tables.sources,
        )
        write_record(staging / paths.publication(tables.quarter).name, publication)
        swap_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def read_quarter_frame(paths: ProjectPaths, quarter: FiscalQuarter) -> pd.DataFrame | None:
    folder = paths.quarter_dir(quarter) / "measures"
    if not folder.exists():
        return None
    parts = [pq.read_table(p).to_pandas() for p in sorted(folder.glob("*.parquet"))]
    return pd.concat(parts, ignore_index=True) if parts else None


def previous_publication(settings: Settings, quarter: FiscalQuarter) -> pd.DataFrame | None:
    """What the previous quarter's report published: from disk, or recomputed the same way.

    When it must be recomputed, only measures counted over years are needed: every other cell
    has the same period in both reports, and the gate compares only cells the current report
    does not also hold (a year-to-date figure that has since grown).
    """
    prior = quarter.previous()
    stored = read_quarter_frame(settings.paths, prior)
    if stored is not None:
        return stored
    yearly = {
        m.id
        for m in settings.plan.measures
        if m.grain in {"calendar_year", "fiscal_year"} and m.counts_people
    }
    if not yearly:
        return None
    try:
        return compute_quarter(settings, prior, None, None, only=yearly).frame
    except (StaleDataError, ValueError):
        return None


def build_quarter(
    settings: Settings, quarter: FiscalQuarter, params: QuarterParams | None, code_version: str = ""
) -> QuarterTables:
    """The measures stage: compute, gate against last quarter's report, and write."""
    tables = compute_quarter(settings, quarter, params, previous_publication(settings, quarter))
    write_quarter(settings, tables, params, code_version)
    return tables
