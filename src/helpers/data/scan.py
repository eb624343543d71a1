"""One streaming pass over a source's files: the canonical table of a clean source, written as
it is read, in memory that does not grow with the data.

A quarter's CAD export can hold tens of millions of rows. A CSV file is read in pieces of about
``CHUNK_BYTES`` cut at line ends (never inside a quoted field). Each piece is parsed in Arrow on
a thread of its own while the one before is mapped and checked column by column, then tallied,
finished and appended to the source's Parquet file in the ingest's staging folder, each step on
a thread of its own: the steps of successive pieces overlap. What spans pieces is kept small:
8 bytes per row for the unique key's check, and a count per day.

The pass only decides whether a source is clean. At the first sign of a problem (an unparseable
cell, a malformed line, a value out of range, a repeated key, a file that changed) it stops and
says so, and ingest validates that source again the whole-table way
(``ingest.validate_source``), which locates every problem by file, row, column and reason
exactly as before. So the report of a failure is the same, and a clean source costs one pass.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.paths import ProjectPaths
from ..params.sources import SourceSpec
from .coverage import records_per_day
from .export_pieces import HashingReader, NotClean, file_pieces, one_ahead
from .exports import RawFile, canonical_table, row_count, skip_rows
from .raw import raw_files
from .text import string_hashes
from .validation import Failures, blank_allowed, column_bounds


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """How a canonical table is written: internal, rewritten every ingest, so speed over size.
    Only the columns already dictionary-encoded (call types, agencies) are stored so; Parquet's
    own try at a dictionary for keys and pseudonyms, which are nearly all distinct, is wasted."""
    return {
        "compression": "zstd",
        "compression_level": 1,
        "use_dictionary": [f.name for f in schema if pa.types.is_dictionary(f.type)],
        "write_statistics": False,
    }


@dataclass
class ScannedSource:
    """A clean source, written: what its ingest record needs."""

    rows: int
    file_hashes: dict[str, str]
    skipped: dict[str, int]
    days: dict[str, int]
    first: date
    last: date


# --------------------------------------------------------------------------------------------
# Checks that span pieces, and the row checks made cheap


def key_hashes(table: pa.Table, unique: list[str]) -> np.ndarray:
    """The unique key of each row as a hash; a null key, which the check leaves out, is dropped.
    A multi-column key with a blank part is not clean (the whole-table check decides)."""
    if len(unique) == 1:
        return string_hashes(pc.cast(table.column(unique[0]), pa.string()).drop_null())
    key = pc.binary_join_element_wise(*[pc.cast(table.column(c), pa.string()) for c in unique], "\x1f")
    if key.null_count:
        raise NotClean("a blank part of the unique key")
    return string_hashes(key)


def _bounds(spec: SourceSpec, name: str, today: date) -> tuple[Any, Any]:
    """The column's bounds as Arrow's values compare: a datetime bound spans its whole day."""
    col = spec.columns[name]
    low, high = column_bounds(col, today)
    if col.type not in {"date", "datetime"}:
        return low, high
    low, high = _as_date(low), _as_date(high)
    if col.type == "datetime":
        low = datetime.combine(low, time()) if low is not None else None
        high = datetime.combine(high, time(23, 59, 59)) if high is not None else None
    return low, high


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def rows_pass(table: pa.Table, spec: SourceSpec, today: date) -> bool:
    """Whether every row passes the source's row checks (blanks, allowed values, ranges): the
    same rules as the whole-table validation, asked of the piece at once."""
    for name, col in spec.columns.items():
        values = table.column(name)
        if not blank_allowed(col) and values.null_count:
            return False
        present = values.drop_null()
        if not len(present):
            continue
        if pa.types.is_dictionary(present.type):  # codes: their distinct values are what is checked
            present = present.combine_chunks().dictionary
        if pa.types.is_floating(present.type) and pc.any(pc.is_nan(present)).as_py():
            return False  # pandas reads NaN as a blank: the whole-table checks decide
        if col.allowed is not None:
            if col.type == "list":  # "" is a list of none; any other value's items must be allowed
                filled = pc.filter(present, pc.not_equal(present, ""))
                items = pc.list_flatten(pc.split_pattern(filled, ";"))
            else:
                items = present
            if not pc.all(pc.is_in(items, value_set=pa.array(col.allowed, pa.string()))).as_py():
                return False
        low, high = _bounds(spec, name, today)
        if low is None and high is None:
            continue
        smallest, largest = pc.min_max(present).values()
        smallest, largest = smallest.as_py(), largest.as_py()
        if isinstance(smallest, float) and (math.isnan(smallest) or math.isnan(largest)):
            return False
        if (low is not None and smallest < low) or (high is not None and largest > high):
            return False
    return True


# --------------------------------------------------------------------------------------------
# The pass


@dataclass
class _Tally:
    rows: int = 0
    days: Counter = field(default_factory=Counter)
    hashes: list[np.ndarray] = field(default_factory=list)

    def add(self, table: pa.Table, spec: SourceSpec) -> None:
        self.rows += table.num_rows
        self.days.update(records_per_day(table.column(spec.date_column)))
        if spec.unique:
            hashes = key_hashes(table, spec.unique)
            hashes.sort()
            self.hashes.append(hashes)

    def keys_unique(self) -> bool:
        """Whether no hash repeats, within a piece or across pieces. Each piece's hashes are
        sorted as they come, then compared one sixteenth of the hash range at a time: memory
        holds the hashes and a sixteenth more, never a second copy of them all."""
        if not self.hashes:  # no unique key declared, or no rows
            return True
        for bucket in range(16):
            low, high = np.uint64(bucket << 60), np.uint64(((bucket + 1) << 60) - 1)
            part = np.concatenate(
                [h[np.searchsorted(h, low) : np.searchsorted(h, high, side="right")] for h in self.hashes]
            )
            part.sort()  # numpy's vectorised sort: twice as quick here as merging the sorted runs
            if np.any(part[1:] == part[:-1]):
                return False
        self.hashes.clear()
        return True


@dataclass
class _Output:
    """Where a clean source's pieces go: one Parquet file. A piece is tallied (``count``) and
    finished (person keys pseudonymised, text categorised) by one helper thread and written by
    another while the main thread maps the next and a reader parses the one after: one
    piece waits at each step, so memory holds a few pieces, whatever the size of the file."""

    path: Path
    count: Callable[[pa.Table], None]
    finish: Callable[[pa.Table], pa.Table] | None
    helper: ThreadPoolExecutor
    finisher: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1))
    writer: pq.ParquetWriter | None = None
    finished: Future[None] | None = None
    written: Future[None] | None = None

    def add(self, table: pa.Table) -> None:
        if self.finished is not None:
            self.finished.result()
        if self.finish is None:  # nothing is written: only counted
            self.count(table)
            return
        self.finished = self.finisher.submit(self._finish, table)

    def _finish(self, table: pa.Table) -> None:
        assert self.finish is not None
        self.count(table)
        table = self.finish(table)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema, **parquet_options(table.schema))
        if self.written is not None:
            self.written.result()
        self.written = self.helper.submit(self.writer.write_table, table)

    def wait(self) -> None:
        """Until every piece handed over is written; raises what finishing or writing raised."""
        if self.finished is not None:
            self.finished.result()
        if self.written is not None:
            self.written.result()

    def close(self, keep: bool) -> None:
        self.finisher.shutdown(wait=True)
        self.helper.shutdown(wait=True)
        if self.writer is not None:
            self.writer.close()
        if not keep:
            self.path.unlink(missing_ok=True)


def scan_source(
    paths: ProjectPaths,
    name: str,
    spec: SourceSpec,
    today: date,
    expected: dict[str, str],
    pool: ThreadPoolExecutor,
    output: Path,
    finish: Callable[[pa.Table], pa.Table] | None,
    where: dict[str, str],
) -> ScannedSource:
    """Read, map, check and write one source in a single pass. ``finish`` turns a checked piece
    into the rows to write (person keys pseudonymised, text categorised); without it nothing is
    written. Raises ``NotClean`` when the whole-table validation must look at the source."""
    files = raw_files(paths, spec)
    if not files:
        raise NotClean("no file")
    tally, hashes, skipped = _Tally(), {}, {}
    # the helper also hashes the bytes read
    out = _Output(output, lambda table: tally.add(table, spec), finish, ThreadPoolExecutor(1))
    try:
        for path in files:
            relative = path.relative_to(paths.raw).as_posix()
            where["file"] = relative
            hashes[relative] = _scan_file(name, spec, path, today, pool, out, skipped, relative)
            if relative in expected and expected[relative] != hashes[relative]:
                raise NotClean("the file changed while it was read")
        out.wait()  # every piece tallied
        if not tally.keys_unique():
            raise NotClean("a key may repeat")
        if not tally.days:
            raise NotClean("no dated rows")
    except BaseException:
        out.close(keep=False)
        raise
    out.close(keep=True)
    days = dict(sorted(tally.days.items()))  # ISO days: their order is the calendar's
    first, last = date.fromisoformat(min(days)), date.fromisoformat(max(days))
    return ScannedSource(tally.rows, hashes, dict(sorted(skipped.items())), days, first, last)


def _scan_file(
    name: str,
    spec: SourceSpec,
    path: Path,
    today: date,
    pool: ThreadPoolExecutor,
    out: _Output,
    skipped: dict[str, int],
    relative: str,
) -> str:
    """One file's pieces mapped, checked, and handed over to be tallied and written; returns
    the file's SHA-256."""
    reader = HashingReader(path, out.helper)
    rows = 0
    parser = ThreadPoolExecutor(1)  # reads and parses the next piece while this one is mapped
    pieces = one_ahead(file_pieces(path, spec, reader), parser)
    try:
        for raw in pieces:
            table, dropped = _map_piece(name, spec, raw, pool)
            rows += row_count(raw)
            if dropped is not None:
                skipped[relative] = skipped.get(relative, 0) + dropped
            if table is None or not table.num_rows:
                continue
            if not rows_pass(table, spec, today):
                raise NotClean("a value fails a check")
            out.add(table)
    finally:
        pieces.close()  # waits for the piece being read ahead, before its file is closed
        parser.shutdown(wait=True)
        reader.close()
    if rows == 0:
        raise NotClean("a file without rows")
    return reader.hexdigest()


def _map_piece(
    name: str, spec: SourceSpec, raw: RawFile, pool: ThreadPoolExecutor
) -> tuple[pa.Table | None, int | None]:
    """A piece with canonical names and types, and the rows the skip rule dropped; any problem
    the mapping finds makes the source not clean."""
    problems = Failures()
    rows = np.arange(row_count(raw), dtype=np.int64)
    dropped = None
    if spec.skip_rows:
        raw, rows, dropped = skip_rows(raw, spec, rows)
    table = canonical_table(name, spec, raw, problems, set(), pool, rows)
    if problems.rows:
        raise NotClean(problems.rows[0]["check"])
    return table, dropped
