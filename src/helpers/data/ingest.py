"""Ingest: raw department exports -> validated, pseudonymised canonical tables.

Ingest is all or nothing: every source is read and validated before anything is written, and one
bad row anywhere stops the stage with a table of file, row, column, value and check (pandera's lazy
validation). Person identifiers are replaced by a keyed hash (HMAC-SHA256) before anything is
written, so raw keys never reach ``data/processed``.

Speed and memory: a clean source is read, checked and written in one streaming pass
(``helpers.data.scan``), in pieces, so memory does not grow with the data. A source the pass
cannot vouch for is validated whole here, which locates every problem: reading and mapping each
file is ``helpers.exports``; the checks and the failure table are ``helpers.validation``;
pseudonymising and categorising is ``helpers.data.finishing``. Nothing reaches
``data/processed/canonical`` until every source is checked (the tables are written into a
staging folder beside it, swapped in at the end).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.cache import file_sha256
from ..core.paths import ProjectPaths
from ..core.records import IngestRecord, SourceRecord, write_record
from ..params.sources import SourcesConfig, SourceSpec
from .areas import AreaTable, validate_areas, write_areas
from .coverage import records_per_day
from .export_pieces import NotClean
from .exports import READ_ERRORS, UndecodableFile, canonical_table, read_file, row_count, row_label, skip_rows
from .finishing import Finisher, pseudonymise
from .raw import (
    SAMPLE_MARKER,
    PseudonymKeyMissing,
    is_sample_data,
    pseudonym_key,
    raw_files,
    raw_fingerprint,
    swap_directory,
)
from .scan import ScannedSource, parquet_options, scan_source
from .validation import (
    HIDDEN_VALUE,
    Failures,
    SourceValidationError,
    pandera_failures,
    types_mapper,
    unique_already,
)

__all__ = [
    "IngestInternalError",
    "SourceValidationError",
    "canonical_pieces",
    "ingest",
    "load_canonical",
    "pseudonymise",
]

log = logging.getLogger(__name__)

THREADS = max(1, min(4, os.cpu_count() or 1))
CHANGED_DURING_RUN = (
    "the file changed while the run was reading it (an export still being copied in?): "
    "wait until every file is in place, then run again"
)


def return_memory_promptly() -> None:
    """Let Arrow's allocator give freed memory back to the system at once (lower peak RSS)."""
    with contextlib.suppress(NotImplementedError, pa_arrow.ArrowNotImplementedError, AttributeError):
        pa_arrow.jemalloc_set_decay_ms(0)


@dataclass
class ValidatedSource:
    name: str
    spec: SourceSpec
    table: pa_arrow.Table
    files: list[Path]
    file_hashes: dict[str, str]
    skipped: dict[str, int]  # rows dropped by the source's skip_rows policy, per file

    def write(self, staging: Path, finish: Finisher) -> SourceRecord:
        """The source's canonical table, finished, and its record."""
        data = finish(self.table)
        pq.write_table(data, staging / f"{self.name}.parquet", **parquet_options(data.schema))
        dates = data.column(self.spec.date_column)
        first, last = pc.min_max(dates).values()
        return SourceRecord(
            rows=data.num_rows,
            files=self.file_hashes,
            first_date=_day(first.as_py()),
            last_date=_day(last.as_py()),
            days=records_per_day(dates),
            skipped_rows=dict(sorted(self.skipped.items())),
        )


def validate_source(
    paths: ProjectPaths,
    name: str,
    spec: SourceSpec,
    today: date,
    failures: Failures,
    hashes: dict[str, str] | None = None,
    pool: ThreadPoolExecutor | None = None,
    where: dict[str, str] | None = None,
) -> ValidatedSource | None:
    """Read, map and check every file of one source. Problems in the data are added to
    ``failures``; ``where["file"]`` names the file being read, for an internal error's message."""
    where = where if where is not None else {}
    files = raw_files(paths, spec)
    if not files:
        failures.add(name, spec.files, "", "", "", f"no file matches '{spec.files}' under data/raw")
        return None
    own_pool = pool is None
    pool = pool or ThreadPoolExecutor(THREADS)
    try:
        read = _SourceFiles()
        relatives = [p.relative_to(paths.raw).as_posix() for p in files]
        for index, (path, relative) in enumerate(zip(files, relatives)):
            where["file"] = relative
            read.add(
                index, _read_one(name, spec, path, relative, (hashes or {}).get(relative), failures, pool)
            )
        if not read.tables:
            return None
        table = pa_arrow.concat_tables(read.tables)
        read.tables.clear()
        labels, rows = np.concatenate(read.labels), np.concatenate(read.row_numbers)
        unique_ok = unique_already(table, spec)
        pandera_failures(name, spec, table, relatives, labels, rows, today, failures, read.already, unique_ok)
        return ValidatedSource(name, spec, table, files, read.hashes, read.skipped)
    finally:
        if own_pool:
            pool.shutdown()


@dataclass
class _FileTable:
    """One raw file as read: its checksum, its canonical table (None when it could not be
    mapped), its rows as numbered in the file, cells already reported, and rows skipped."""

    relative: str
    sha256: str
    table: pa_arrow.Table | None = None
    rows: np.ndarray | None = None
    unparsed: set[tuple[int, str]] = field(default_factory=set)
    skipped: int | None = None


@dataclass
class _SourceFiles:
    """The files of one source, gathered for validation as one table."""

    tables: list[pa_arrow.Table] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    row_numbers: list[np.ndarray] = field(default_factory=list)
    already: set[tuple[int, str]] = field(default_factory=set)
    hashes: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def add(self, index: int, read: _FileTable) -> None:
        self.hashes[read.relative] = read.sha256
        if read.skipped is not None:
            self.skipped[read.relative] = read.skipped
        if read.table is None or read.rows is None:
            return
        offset = sum(t.num_rows for t in self.tables)
        self.already.update((offset + i, column) for i, column in read.unparsed)
        self.tables.append(read.table)
        self.labels.append(np.full(read.table.num_rows, index, dtype=np.int32))
        self.row_numbers.append(read.rows)


def _read_one(
    name: str,
    spec: SourceSpec,
    path: Path,
    relative: str,
    expected: str | None,
    failures: Failures,
    pool: ThreadPoolExecutor,
) -> _FileTable:
    """Read one file once (the bytes hashed are the bytes parsed) and map it to the canonical
    columns; problems go to ``failures``."""
    data = path.read_bytes()
    read = _FileTable(relative, hashlib.sha256(data).hexdigest())
    if expected is not None and expected != read.sha256:
        failures.add(name, relative, "", "", "", CHANGED_DURING_RUN)
        return read
    try:
        raw = read_file(path, relative, spec, data)
    except UndecodableFile as exc:
        for row, column, shown in exc.problems:
            person = any(c.identifies_person and c.from_ == column for c in spec.columns.values())
            check = f"cannot be read as {spec.encoding}: fix the export or set encoding: in sources.yml"
            failures.add(name, relative, row, column, HIDDEN_VALUE if person else shown, check)
        return read
    except READ_ERRORS as exc:  # a file that is not what its format says: a data problem
        failures.add(name, relative, "", "", "", f"file cannot be read as {spec.format}: {exc}")
        return read
    del data
    for line, problem in raw.malformed:
        failures.add(name, relative, line if line is not None else "", "", "", problem)
    first = row_label(spec, 0)
    rows = np.arange(first, first + row_count(raw), dtype=np.int64)
    if spec.skip_rows:
        raw, rows, read.skipped = skip_rows(raw, spec, rows)
    read.table = canonical_table(name, spec, raw, failures, read.unparsed, pool, rows)
    read.rows = rows
    return read


# --------------------------------------------------------------------------------------------
# The ingest stage


@dataclass
class IngestResult:
    record: IngestRecord
    seconds: float


def ingest(
    paths: ProjectPaths,
    config: SourcesConfig,
    today: date | None = None,
    code_version: str = "",
    fingerprint: dict[str, str] | None = None,
    cache_key: dict[str, Any] | None = None,
) -> IngestResult:
    """Validate every source, then write every canonical table; all or nothing.

    ``cache_key`` (what the runner's cache compares) is written into the record with the tables,
    with its ``raw`` part replaced by the checksums of the bytes actually read.

    ``fingerprint`` (raw file -> SHA-256) is what the caller hashed before deciding to ingest: a
    file whose bytes differ when they are read changed during the run, and stops it.
    """
    started = time.perf_counter()
    return_memory_promptly()
    fingerprint = (
        raw_fingerprint(paths, config) if fingerprint is None else fingerprint
    )  # {}: nothing to compare
    paths.processed.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".canonical-", dir=paths.processed))
    staging.chmod(0o755)
    try:
        try:  # a clean source is written as it is read, which needs the key now...
            key: bytes | None = pseudonym_key(config, paths)[0]
        except PseudonymKeyMissing:
            key = None  # ...but a missing key is said only once the data has been checked
        chars = config.pseudonymisation.digest_chars
        finishers = {
            name: Finisher(spec, key, chars)
            for name, spec in config.sources.items()
            if key is not None or not any(c.identifies_person for c in spec.columns.values())
        }
        checked, areas = validate_all(paths, config, today or date.today(), fingerprint, staging, finishers)
        key, demo = pseudonym_key(config, paths)
        sources_record = {
            item.name: item.write(staging, Finisher(item.spec, key, chars))
            if isinstance(item, ValidatedSource)
            else _scanned_record(item)
            for item in checked
        }
        area_record = write_areas(areas, staging / "areas")
        read = read_fingerprint(paths, checked, fingerprint, areas)
        record = IngestRecord(
            sample_data=is_sample_data(paths),
            demo_pseudonym_key=demo,
            raw_fingerprint=read,
            code_version=code_version,
            sources=sources_record,
            areas=area_record,
            cache_key={**cache_key, "raw": read} if cache_key is not None else None,
        )
        write_record(staging / paths.ingest_record.name, record, exclude_none=True)
        swap_directory(staging, paths.canonical)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return IngestResult(record, time.perf_counter() - started)


@dataclass
class ScannedAs:
    """A source checked and written in one pass (``helpers.data.scan``)."""

    name: str
    scanned: ScannedSource

    @property
    def file_hashes(self) -> dict[str, str]:
        return self.scanned.file_hashes


def validate_all(
    paths: ProjectPaths,
    config: SourcesConfig,
    today: date,
    fingerprint: dict[str, str],
    staging: Path | None = None,
    finishers: dict[str, Finisher] | None = None,
) -> tuple[list[ValidatedSource | ScannedAs], list[AreaTable]]:
    """Every source and area read and checked; raises ``SourceValidationError`` with every
    problem of every source, before anything is published.

    With ``staging``, each source is first read in one streaming pass that writes it there
    (with its finisher) when it is clean; a source the pass cannot vouch for is validated whole,
    which locates each problem."""
    failures = Failures()
    checked: list[ValidatedSource | ScannedAs] = []
    with ThreadPoolExecutor(THREADS) as pool:
        for name, spec in config.sources.items():
            t0 = time.perf_counter()
            where: dict[str, str] = {}
            try:
                result = _check_source(
                    paths, name, spec, today, failures, fingerprint, pool, where, staging, finishers
                )
            except Exception as exc:  # not a problem in the data: a bug, said so plainly
                raise IngestInternalError(name, where.get("file", spec.files), exc) from exc
            if result is not None:
                checked.append(result)
                rows = result.scanned.rows if isinstance(result, ScannedAs) else result.table.num_rows
                log.info(
                    "validated %s: %s rows from %d file(s) in %.1fs",
                    name,
                    f"{rows:,}",
                    len(result.file_hashes),
                    time.perf_counter() - t0,
                )
    areas = validate_areas(paths, config, failures)
    for area in areas:
        changed = [f for f, digest in area.files.items() if fingerprint.get(f, digest) != digest]
        for file in changed:
            failures.add(area.name, file, "", "", "", CHANGED_DURING_RUN)
    table = failures.frame()
    if not table.empty:
        raise SourceValidationError(table)
    return checked, areas


def _check_source(
    paths: ProjectPaths,
    name: str,
    spec: SourceSpec,
    today: date,
    failures: Failures,
    fingerprint: dict[str, str],
    pool: ThreadPoolExecutor,
    where: dict[str, str],
    staging: Path | None,
    finishers: dict[str, Finisher] | None,
) -> ValidatedSource | ScannedAs | None:
    if staging is not None:
        finish = None if failures.rows else (finishers or {}).get(name)  # nothing written after a failure
        try:
            output = staging / f"{name}.parquet"
            return ScannedAs(
                name, scan_source(paths, name, spec, today, fingerprint, pool, output, finish, where)
            )
        except NotClean as exc:
            log.info("%s: %s; validating the whole table to locate the problem", name, exc.reason)
    return validate_source(paths, name, spec, today, failures, fingerprint, pool, where)


def _scanned_record(item: ScannedAs) -> SourceRecord:
    scanned = item.scanned
    return SourceRecord(
        rows=scanned.rows,
        files=scanned.file_hashes,
        first_date=scanned.first.isoformat(),
        last_date=scanned.last.isoformat(),
        days=scanned.days,
        skipped_rows=scanned.skipped,
    )


def read_fingerprint(
    paths: ProjectPaths,
    validated: list[ValidatedSource | ScannedAs],
    before: dict[str, str],
    areas: list[AreaTable] = (),  # type: ignore[assignment]
) -> dict[str, str]:
    """The checksum of every raw file as it was read (and of the sample marker, which is not)."""
    read = {name: digest for item in validated for name, digest in item.file_hashes.items()}
    read |= {name: digest for area in areas for name, digest in area.files.items()}
    marker = paths.raw / SAMPLE_MARKER
    if marker.exists():
        read[SAMPLE_MARKER] = before.get(SAMPLE_MARKER) or file_sha256(marker)
    return dict(sorted(read.items()))


class IngestInternalError(RuntimeError):
    """Ingest itself failed (a bug), not the data: the message says so and names the file."""

    def __init__(self, source: str, file: str, exc: BaseException):
        self.source, self.file = source, file
        super().__init__(
            f"Internal error while reading source '{source}' (file {file}): "
            f"{type(exc).__name__}: {exc}. This is a bug in the report's code, not a problem "
            "in the data. Please report it to the report's maintainers (an issue in the "
            "project's repository) with this message and its traceback; nothing was written."
        )


def _day(value: Any) -> str:
    return (value.date() if hasattr(value, "date") and callable(value.date) else value).isoformat()


def _canonical_file(paths: ProjectPaths, source: str) -> pq.ParquetFile:
    path = paths.canonical / f"{source}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `python -m helpers ingest` first")
    return pq.ParquetFile(path)  # its footer read once, not once per column or row group


def load_canonical(paths: ProjectPaths, source: str, columns: list[str] | None = None) -> pd.DataFrame:
    file = _canonical_file(paths, source)
    names = columns if columns is not None else file.schema_arrow.names
    # Column by column: memory holds the frame and one column as Arrow, never the whole table twice.
    parts = {}
    for name in names:
        table = file.read(columns=[name])
        parts[name] = table.to_pandas(types_mapper=types_mapper, self_destruct=True)[name]
        del table
    return pd.DataFrame(parts, copy=False)


def canonical_pieces(
    paths: ProjectPaths, source: str, columns: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """A canonical table one Parquet row group at a time (ingest writes one per piece it reads),
    so that a reader's memory holds a piece or two, whatever the size of the table. An empty
    table is one empty piece."""
    file = _canonical_file(paths, source)
    names = columns if columns is not None else file.schema_arrow.names
    if file.num_row_groups == 0:
        yield file.schema_arrow.empty_table().select(names).to_pandas(types_mapper=types_mapper)
        return

    def read(group: int) -> pd.DataFrame:
        table = file.read_row_group(group, columns=names)
        return table.to_pandas(types_mapper=types_mapper, self_destruct=True)

    # A helper thread reads the next row group while the caller works on this one (Arrow lets
    # go of the interpreter while it reads): memory holds two pieces.
    with ThreadPoolExecutor(1) as helper:
        upcoming = helper.submit(read, 0)
        for group in range(1, file.num_row_groups + 1):
            piece = upcoming.result()
            if group < file.num_row_groups:
                upcoming = helper.submit(read, group)
            yield piece
