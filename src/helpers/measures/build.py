"""The measures stage: canonical tables -> one gated, tidy table per measure, for one quarter.

Each source is read once, one Parquet row group at a time (``pieces``), and every piece is fed
to the accumulator of each measure of that source (``kinds``, ``familiar``) and of each
district (``districts``): memory holds a few pieces and the counts, not the table. Pieces are
counted on two threads, each with its own accumulators, merged in a fixed order at the end.
Each measure is then marked with how completely its source covers each period
(``helpers.data.coverage``) and passed through the privacy gate against what the previous
quarter's report published; ``publication`` writes the result.

Only data up to the end of the reporting quarter is used, so a past quarter's report can be
rebuilt exactly from a later extract (as long as the records did not change).
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from ..core.language import ENGLISH
from ..core.periods import FiscalQuarter
from ..core.records import CoverageRecord
from ..data.coverage import SourceCoverage, records_per_day_number
from ..data.ingest import canonical_pieces, return_memory_promptly
from ..data.raw import read_ingest_record
from ..params.districts import Districts
from ..params.measure import Measure
from ..params.plan import Plan
from ..params.quarters import QuarterParams, stale_policy
from ..params.settings import Settings
from .districts import count_by_district, district_codes, of_district
from .familiar import FAMILIAR_KINDS
from .gate import gate
from .kinds import COLUMNS, GENERIC_KINDS, Accumulator, Kind, coded_columns
from .limits import add_process
from .pieces import Piece, SourceData, pieces_of, prepare
from .publication import (
    QuarterTables,
    canonical_digests,
    read_quarter_districts,
    read_quarter_frame,
    write_quarter,
)

__all__ = [
    "StaleDataError",
    "apply_coverage",
    "build_quarter",
    "compute",
    "compute_quarter",
    "prepare",
    "previous_publication",
    "read_quarter_frame",
]

KINDS: dict[str, Kind] = {**GENERIC_KINDS, **FAMILIAR_KINDS}


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if frame.empty:
        return frame
    return frame.sort_values(["period_end", "period_start", "series_order"], kind="stable").reset_index(
        drop=True
    )


def compute(measure: Measure, data: SourceData, end: date) -> pd.DataFrame:
    """The rows of one measure for every period that ends on or before ``end``."""
    accumulator = KINDS[measure.kind](measure)
    for piece in data.pieces:
        accumulator.add(piece)
    return _frame(accumulator.rows(data.first, end))


def needed_columns(plan: Plan, source: str, date_column: str, only: set[str] | None = None) -> list[str]:
    """Only the canonical columns some measure of ``source`` (or of ``only``) reads: memory."""
    columns = {date_column}
    for m in plan.measures:
        if m.source != source or (only is not None and m.id not in only):
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
            columns |= {m.familiar.person, m.familiar.agency}
    if plan.districts is not None and plan.districts.source == source and only is None:
        columns.add(plan.districts.column)
    return sorted(columns)


class StaleDataError(RuntimeError):
    """A source does not cover the quarter and the params say that must stop the build."""


def apply_coverage(frame: pd.DataFrame, cover: SourceCoverage) -> pd.DataFrame:
    """Mark each row with how much of its period the source covers: a missing period loses its
    value (a gap, never 0), a partial one keeps it, marked, with the share covered."""
    if frame.empty:
        return frame
    frame = frame.copy()
    keep = np.ones(len(frame), dtype=bool)
    spans = zip(frame["period_start"], frame["period_end"])
    for i, (span, status) in enumerate(zip(spans, frame["status"])):
        verdict = cover.period(*span)  # each period's verdict is worked out once by the source
        if status == "not_available":
            continue
        if verdict.complete:
            keep[i] = status != "no_records"  # nothing to divide, and nothing missing
            continue
        if verdict.status == "missing" or status == "no_records":
            frame.iat[i, frame.columns.get_loc("status")] = "missing"
            frame.iat[i, frame.columns.get_loc("status_note")] = f"no data: {verdict.describe(ENGLISH)}"
        else:
            frame.iat[i, frame.columns.get_loc("status")] = "partial"
            frame.iat[i, frame.columns.get_loc("status_note")] = f"incomplete: {verdict.describe(ENGLISH)}"
        frame.iat[i, frame.columns.get_loc("coverage_share")] = verdict.share
    frame = frame.loc[keep].reset_index(drop=True)
    unpublished = frame["status"].isin(["missing", "not_available"])
    for column in ("value", "numerator", "denominator", "count"):
        frame.loc[unpublished, column] = np.nan
    # Nothing is published for these cells, so they add nothing to the privacy gate's arithmetic.
    for column in ("privacy_counts", "atoms"):
        frame[column] = [[] if gone else list(v) for gone, v in zip(unpublished, frame[column])]
    return frame


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
        f"Source '{source}' ({info.title}) is incomplete for {ENGLISH.quarter_long(quarter)}: "
        f"{info.covered} of {info.expected} {info.unit}s have records (gaps: {gaps}), and "
        f"measure '{measure.id}' must not be published from incomplete data. Load a complete "
        f"extract into data/raw, or set `if_stale: {{{measure.id}: mark_unavailable}}` in "
        f"params/quarters/{quarter.id}.yml to publish it with the gap shown."
    )


@dataclass
class _Pass:
    """What one pass over a source leaves: every measure's accumulator, each district's, and
    the source's calendar and coverage, counted from the very records the measures use."""

    citywide: dict[str, Accumulator]
    by_district: dict[str, dict[str, Accumulator]]
    first: date
    cover: SourceCoverage
    info: CoverageRecord


WORKERS = 2  # threads counting pieces: numpy and Arrow let go of the interpreter as they count


@dataclass
class _Counts:
    """The accumulators of one counting thread: every measure's, and each district's; and the
    records per day and the first date of the pieces it counted."""

    citywide: dict[str, Accumulator]
    by_district: dict[str, dict[str, Accumulator]]
    split: Districts | None
    days: Counter[str] = field(default_factory=Counter)
    first: int | None = None  # the earliest day number (days since 1970-01-01)

    @classmethod
    def start(cls, plan: Plan, measures: list[Measure], split: Districts | None) -> _Counts:
        by_district = {
            district: {m: KINDS[plan.measure(m).kind](plan.measure(m)) for m in split.measures}
            for district in (district_codes(split) if split else [])
        }
        return cls({m.id: KINDS[m.kind](m) for m in measures}, by_district, split)

    def add(self, piece: Piece) -> None:
        assert piece.days is not None  # a piece cut at the quarter's end
        if len(piece.days):
            earliest = int(piece.days.min())
            self.first = earliest if self.first is None else min(self.first, earliest)
        self.days.update(records_per_day_number(piece.days))
        for accumulator in self.citywide.values():
            accumulator.add(piece)
        if self.split:
            count_by_district(piece, self.split, self.by_district)

    def merge(self, other: _Counts) -> None:
        self.days.update(other.days)
        if other.first is not None:
            self.first = other.first if self.first is None else min(self.first, other.first)
        for measure, accumulator in self.citywide.items():
            accumulator.merge(other.citywide[measure])
        for district, accumulators in self.by_district.items():
            for measure, accumulator in accumulators.items():
                accumulator.merge(other.by_district[district][measure])


def _read_source(
    settings: Settings, source: str, quarter: FiscalQuarter, measures: list[Measure], districts: bool
) -> _Pass:
    """Feed every piece of ``source`` to the accumulators of ``measures`` (and, with
    ``districts``, to each district's), in one pass that holds a few pieces at a time.

    Pieces are counted on ``WORKERS`` threads, piece ``i`` always on thread ``i % WORKERS``,
    each with accumulators of its own, merged at the end in thread order: the same input gives
    the same counts, whatever the timing. This thread reads and cuts the pieces, and makes their
    text codes before handing them over, so the shared codebooks grow in the pieces' order."""
    plan, spec = settings.plan, settings.sources.sources[source]
    split = plan.districts if districts and plan.districts and plan.districts.source == source else None
    columns = needed_columns(plan, source, spec.date_column, None if split else {m.id for m in measures})
    coded = set().union(*(coded_columns(m) for m in measures)) | ({split.column} if split else set())
    threads = [_Counts.start(plan, measures, split) for _ in range(WORKERS)]
    executors = [ThreadPoolExecutor(1) for _ in range(WORKERS)]
    waiting: list[Future[None] | None] = [None] * WORKERS
    try:
        frames = canonical_pieces(settings.paths, source, columns)
        for piece in pieces_of(frames, spec.date_column, quarter.end):
            piece.seal(coded)
            worker = piece.index % WORKERS
            if waiting[worker] is not None:
                waiting[worker].result()  # one piece at a time waits for each thread: memory
            waiting[worker] = executors[worker].submit(threads[worker].add, piece)
        for done in waiting:
            if done is not None:
                done.result()
    finally:
        for executor in executors:
            executor.shutdown(wait=True)
    counted = threads[0]
    for other in threads[1:]:
        counted.merge(other)
    cover = SourceCoverage(spec, dict(sorted(counted.days.items())))
    info = quarter_coverage(settings, source, cover, quarter)
    start = np.datetime64(counted.first, "D").item() if counted.first is not None else quarter.end
    return _Pass(counted.citywide, counted.by_district, start, cover, info)


def _district_rows(plan: Plan, quarter: FiscalQuarter, read: _Pass) -> list[pd.DataFrame]:
    """The plan's district measures, computed on each district's records (on the citywide
    calendar and coverage)."""
    parts = [
        of_district(apply_coverage(_frame(accumulator.rows(read.first, quarter.end)), read.cover), district)
        for district, accumulators in read.by_district.items()
        for accumulator in accumulators.values()
    ]
    return [p for p in parts if not p.empty]


def compute_quarter(
    settings: Settings,
    quarter: FiscalQuarter,
    params: QuarterParams | None,
    previous: pd.DataFrame | None,
    only: set[str] | None = None,
) -> QuarterTables:
    """Compute and gate every measure of the plan (or those in ``only``) for ``quarter``."""
    plan = settings.plan
    measures = [m for m in plan.measures if only is None or m.id in only]
    read: dict[str, _Pass] = {}
    status: dict[str, dict[str, Any]] = {}
    frames: list[pd.DataFrame] = []
    for measure in measures:
        if measure.source not in read:
            of_source = [m for m in measures if m.source == measure.source]
            read[measure.source] = _read_source(settings, measure.source, quarter, of_source, only is None)
            info = read[measure.source].info
            if params is not None and measure.source in params.require_complete and info.status != "complete":
                raise StaleDataError(_incomplete_error(measure, measure.source, info, quarter))
        source = read[measure.source]
        complete = source.info.status == "complete"
        if not complete:
            policy = stale_policy(plan, params, measure.id) if params is not None else measure.if_stale
            if policy == "fail":
                raise StaleDataError(_incomplete_error(measure, measure.source, source.info, quarter))
        rows = source.citywide[measure.id].rows(source.first, quarter.end)
        frames.append(apply_coverage(_frame(rows), source.cover))
        status[measure.id] = {
            "status": "current" if complete else "incomplete",
            "data_through": source.info.data_through or quarter.start.isoformat(),
            "source": measure.source,
        }
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True).assign(district="")
    if only is None:
        district_rows = [rows for source in read.values() for rows in _district_rows(plan, quarter, source)]
        frame = pd.concat([frame, *district_rows], ignore_index=True)
    # One gate over the city and its districts: a hidden district cell can be worked out from
    # neither the city total, nor the other districts, nor the previous report.
    gated, summary = gate(frame, settings.privacy, settings.populations(), previous)
    citywide = gated[gated["district"] == ""].drop(columns="district").reset_index(drop=True)
    by_district = gated[gated["district"] != ""].reset_index(drop=True)
    sources = {name: source.info for name, source in sorted(read.items())}
    return QuarterTables(
        quarter,
        add_process(citywide, plan),
        status,
        summary.as_dict(),
        sources,
        add_process(by_district, plan) if len(by_district) else None,
    )


def previous_publication(settings: Settings, quarter: FiscalQuarter) -> pd.DataFrame | None:
    """What the previous quarter's report published: from disk, or recomputed the same way.

    When it must be recomputed, only measures counted over years are needed: every other cell
    has the same period in both reports, and the gate compares only cells the current report
    does not also hold (a year-to-date figure that has since grown).
    """
    prior = quarter.previous()
    stored = read_quarter_frame(settings.paths, prior)
    if stored is not None:
        districts = read_quarter_districts(settings.paths, prior)
        return stored if districts is None else pd.concat([stored, districts], ignore_index=True)
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
    return_memory_promptly()
    # The canonical tables' checksums are read on the other core while the measures count.
    with ThreadPoolExecutor(1) as helper:
        canonical = helper.submit(canonical_digests, settings.paths)
        tables = compute_quarter(settings, quarter, params, previous_publication(settings, quarter))
        write_quarter(settings, tables, params, code_version, canonical.result())
    return tables
