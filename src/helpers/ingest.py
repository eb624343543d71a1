"""Ingest: raw department exports -> validated, pseudonymised canonical tables.

Ingest is all or nothing: every source is read and validated before anything is written, and one
bad row anywhere stops the stage with a table of file, row, column, value and check (pandera's lazy
validation). Person identifiers are replaced by a keyed hash (HMAC-SHA256) before anything is
written, so raw keys never reach ``data/processed``.

Speed: a quarter's CAD extract can hold millions of rows, so files are parsed column by column in
Arrow (in parallel threads; Arrow releases the GIL), converted to pandas once, and low-cardinality
text becomes categorical. Whole-column tests that cost a hash table (uniqueness) run first in
Arrow; pandera repeats a test only when it failed, to name the rows.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import hmac
import io
import logging
import os
import shutil
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .paths import ProjectPaths
from .records import IngestRecord, SourceRecord, write_record
from .sources import (
    ColumnSpec,
    SourcesConfig,
    SourceSpec,
    file_sha256,
    is_sample_data,
    pseudonym_key,
    raw_files,
    raw_fingerprint,
    swap_directory,
)

log = logging.getLogger(__name__)

HIDDEN_VALUE = "(hidden: identifies a person)"
# What a file that is not what its format says raises: reported as a problem with the data.
READ_ERRORS = (pa_arrow.ArrowInvalid, OSError, ValueError, KeyError, zipfile.BadZipFile, csv.Error)
ARROW_TYPES = {
    "string": pa_arrow.string(),
    "integer": pa_arrow.int64(),
    "float": pa_arrow.float64(),
    "date": pa_arrow.date32(),
    "datetime": pa_arrow.timestamp("s"),
    "list": pa_arrow.string(),
}
THREADS = max(1, min(4, os.cpu_count() or 1))


def _return_memory_promptly() -> None:
    """Let Arrow's allocator give freed memory back to the system at once (lower peak RSS)."""
    with contextlib.suppress(NotImplementedError, pa_arrow.ArrowNotImplementedError, AttributeError):
        pa_arrow.jemalloc_set_decay_ms(0)


# --------------------------------------------------------------------------------------------
# Validation failures


FAILURE_COLUMNS = ["source", "file", "row", "column", "value", "check"]


class SourceValidationError(Exception):
    """Raised with every failure of every source; nothing has been written."""

    def __init__(self, failures: pd.DataFrame):
        self.failures = failures.reset_index(drop=True)
        super().__init__(self.render())

    def render(self, limit: int = 40) -> str:
        table = self.failures
        counts = table.groupby(["source", "check"], sort=True).size()
        lines = [
            f"Raw data failed validation: {len(table)} problem(s). Nothing was written; "
            "data/processed is unchanged.",
            "Problems by source and check:",
            *(f"  {source}: {check}: {n}" for (source, check), n in counts.items()),
            "",
            "First problems (row numbers count the header as row 1, as in a spreadsheet):",
            _format_table(table.head(limit)),
        ]
        if len(table) > limit:
            lines.append(
                f"... and {len(table) - limit} more; run `python -m helpers ingest "
                "--failures failures.csv` to write them all."
            )
        return "\n".join(lines)


def _format_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "(none)"
    shown = table.astype(object).map(lambda v: "" if v is None or v != v else str(v))
    widths = {c: min(max(len(c), *(len(v) for v in shown[c])), 48) for c in shown.columns}
    header = "  ".join(c.ljust(widths[c]) for c in shown.columns)
    rows = ["  ".join(v[: widths[c]].ljust(widths[c]) for c, v in row.items()) for _, row in shown.iterrows()]
    return "\n".join([header, "  ".join("-" * widths[c] for c in shown.columns), *rows])


@dataclass
class _Failures:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, source: str, file: str, row: Any, column: str, value: Any, check: str) -> None:
        self.rows.append(
            {"source": source, "file": file, "row": row, "column": column, "value": value, "check": check}
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=FAILURE_COLUMNS)


# --------------------------------------------------------------------------------------------
# Reading raw files


@dataclass
class RawFile:
    path: Path
    relative: str
    table: pa_arrow.Table | None  # csv: all strings; parquet: native types
    frame: pd.DataFrame | None  # xlsx
    malformed: list[tuple[int | None, str]] = field(default_factory=list)


def _python_encoding(encoding: str) -> str:
    """UTF-8 is read with or without the byte-order mark Excel's "CSV UTF-8" writes."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


class UndecodableFile(ValueError):
    """A file holds bytes its declared encoding cannot decode; ``problems`` locates them."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems  # (row, column, detail)
        super().__init__(f"{len(problems)} undecodable value(s)")


def _undecodable(path: Path, encoding: str, delimiter: str, limit: int = 200) -> list[tuple[int, str, str]]:
    """Where a file's bytes do not decode: (row as in a spreadsheet, column, the bytes).

    Only run when Arrow reported the problem without saying where; the file is decoded again
    with the bad bytes kept as escapes, and each field holding one is reported."""
    text = path.read_bytes().decode(_python_encoding(encoding), errors="surrogateescape")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(rows, [])]
    found: list[tuple[int, str, str]] = []
    for number, row in enumerate(rows, start=2):
        for index, value in enumerate(row):
            if any("\udc80" <= ch <= "\udcff" for ch in value):
                shown = value.encode(_python_encoding(encoding), errors="surrogateescape")
                column = header[index] if index < len(header) else f"(field {index + 1})"
                found.append((number, column, f"{shown!r}"[2:-1][:60]))
                if len(found) >= limit:
                    return found
    return found


def _read_csv(path: Path, spec: SourceSpec) -> tuple[pa_arrow.Table, list[tuple[int | None, str]]]:
    """All columns as text; rows with the wrong number of fields are skipped and reported."""
    options, encoding = spec.csv, spec.encoding
    try:
        with path.open(newline="", encoding=_python_encoding(encoding)) as handle:
            header = next(csv.reader(handle, delimiter=options.delimiter), [])
    except UnicodeDecodeError:
        raise UndecodableFile(
            _undecodable(path, encoding, options.delimiter) or [(1, "(header)", "")]
        ) from None
    names = [h.strip() for h in header]
    malformed: list[tuple[int | None, str]] = []

    def invalid(row: Any) -> str:
        malformed.append(
            (row.number, f"row has {row.actual_columns} fields, the header has {row.expected_columns}")
        )
        return "skip"

    def read(threads: bool) -> pa_arrow.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if codecs.lookup(encoding).name == "utf-8" else encoding,
                column_names=names,
                skip_rows=1,
                block_size=1 << 24,
                use_threads=threads,
            ),
            parse_options=pacsv.ParseOptions(delimiter=options.delimiter, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa_arrow.string() for n in names}, strings_can_be_null=True, null_values=[""]
            ),
        )

    try:
        table = read(threads=True)
        if malformed:  # only the single-threaded reader knows line numbers: worth it on this path
            malformed.clear()
            table = read(threads=False)
    except (pa_arrow.ArrowInvalid, UnicodeDecodeError) as exc:
        if "UTF8" not in str(exc) and not isinstance(exc, UnicodeDecodeError):
            raise
        raise UndecodableFile(_undecodable(path, encoding, options.delimiter)) from None
    return table, malformed


def _read_file(path: Path, relative: str, spec: SourceSpec) -> RawFile:
    if spec.format == "csv":
        table, malformed = _read_csv(path, spec)
        return RawFile(path, relative, table, None, malformed)
    if spec.format == "parquet":
        return RawFile(path, relative, pq.read_table(path), None)
    frame = pd.read_excel(path, sheet_name=spec.sheet or 0, dtype=object, engine="openpyxl")
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawFile(path, relative, None, frame)


def _column_values(raw: RawFile, name: str) -> pa_arrow.Array:
    if raw.table is not None:
        return raw.table.column(name).combine_chunks()
    assert raw.frame is not None
    values = raw.frame[name].map(lambda v: v.isoformat(sep=" ") if hasattr(v, "isoformat") else v)
    values = values.where(pd.notna(values), None)
    if values.map(lambda v: isinstance(v, str) or v is None).all():
        return pa_arrow.array(values.tolist(), pa_arrow.string())
    return pa_arrow.array(values.tolist(), from_pandas=True)


def _column_names(raw: RawFile) -> list[str]:
    if raw.table is not None:
        return list(raw.table.column_names)
    assert raw.frame is not None
    return list(raw.frame.columns)


def _row_count(raw: RawFile) -> int:
    return raw.table.num_rows if raw.table is not None else len(raw.frame)  # type: ignore[arg-type]


def _row_label(spec: SourceSpec, index: int) -> int:
    """Row as a person opening the file sees it: the header is row 1 in CSV and Excel."""
    return index + (2 if spec.format in {"csv", "xlsx"} else 1)


# --------------------------------------------------------------------------------------------
# Parsing to canonical types (vectorised; failures become rows of the failure table)


def _trimmed(array: pa_arrow.Array, distinct: bool) -> pa_arrow.Array:
    """Text without surrounding spaces. Repetitive columns (codes, categories) are trimmed once
    per distinct value; identifiers, nearly all distinct, are trimmed directly."""
    if not distinct:
        encoded = pc.dictionary_encode(array)
        if len(encoded.dictionary) * 4 < len(array):
            return pc.take(pc.utf8_trim_whitespace(encoded.dictionary), encoded.indices)
    return pc.utf8_trim_whitespace(array)


def _to_string(array: pa_arrow.Array, distinct: bool = False) -> pa_arrow.Array:
    if pa_arrow.types.is_string(array.type) or pa_arrow.types.is_large_string(array.type):
        return _trimmed(pc.cast(array, pa_arrow.string()), distinct)
    if pa_arrow.types.is_null(array.type):
        return pa_arrow.nulls(len(array), pa_arrow.string())
    if pa_arrow.types.is_floating(array.type):
        as_int = pc.cast(array, pa_arrow.int64(), safe=False)
        whole = pc.equal(pc.cast(as_int, array.type), array)
        return pc.if_else(whole, pc.cast(as_int, pa_arrow.string()), pc.cast(array, pa_arrow.string()))
    return pc.cast(array, pa_arrow.string())


INT64_DIGITS = 18  # any whole number of up to 18 digits fits in a 64-bit integer


def _numeric(text: pa_arrow.Array, target: pa_arrow.DataType, pattern: str) -> pa_arrow.Array:
    """Cast text to a number; only when some value will not cast, find which (nulls mark them):
    text that is not a number, and numbers too large for the column's type."""
    try:
        parsed = pc.cast(text, target)
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowNotImplementedError):
        ok = pc.match_substring_regex(text, pattern)
        if pa_arrow.types.is_integer(target):
            ok = pc.and_(ok, pc.less_equal(pc.utf8_length(pc.utf8_ltrim(text, "+-")), INT64_DIGITS))
        parsed = pc.cast(pc.if_else(ok, text, pa_arrow.scalar(None, pa_arrow.string())), target)
    if pa_arrow.types.is_floating(target):
        parsed = pc.if_else(pc.is_finite(parsed), parsed, pa_arrow.scalar(None, target))
    return parsed


def _parse(array: pa_arrow.Array, spec: ColumnSpec) -> pa_arrow.Array:
    """Parse to the canonical type; values that cannot be parsed become null."""
    kind = spec.type
    if kind in {"date", "datetime"}:
        if pa_arrow.types.is_timestamp(array.type) or pa_arrow.types.is_date(array.type):
            parsed = pc.cast(array, pa_arrow.timestamp("s"))
        else:
            default = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
            parsed = pc.strptime(
                _to_string(array), format=spec.format or default, unit="s", error_is_null=True
            )
        return pc.cast(parsed, pa_arrow.date32()) if kind == "date" else parsed
    if kind == "integer":
        if pa_arrow.types.is_integer(array.type):
            return pc.cast(array, pa_arrow.int64())
        return _numeric(_to_string(array), pa_arrow.int64(), r"^[+-]?\d+$")
    if kind == "float":
        if pa_arrow.types.is_floating(array.type) or pa_arrow.types.is_integer(array.type):
            return pc.cast(array, pa_arrow.float64())
        text = pc.replace_substring(_to_string(array), ",", "")
        return _numeric(text, pa_arrow.float64(), r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    return _to_string(array, distinct=spec.identifier or spec.identifies_person)


def _recode(array: pa_arrow.Array, values: dict[str, str]) -> pa_arrow.Array:
    if not values:
        return array
    keys = pa_arrow.array(list(values), pa_arrow.string())
    targets = pa_arrow.array(list(values.values()), pa_arrow.string())
    index = pc.index_in(array, value_set=keys)
    mapped = pc.take(targets, index)
    return pc.if_else(pc.is_null(index), array, mapped)


def _split_list(col: ColumnSpec, parsed: pa_arrow.Array) -> tuple[pa_arrow.Array, pa_arrow.Array]:
    """``"Police; Fire"`` -> the canonical ``"DFD;DPD"`` (recoded, sorted) and its item count."""
    assert col.split is not None
    joined, counts = [], []
    for value in parsed.to_pylist():
        if value is None:
            joined.append(None)
            counts.append(0)
            continue
        items = {col.values.get(v.strip(), v.strip()) for v in value.split(col.split)}
        members = sorted(v for v in items if v)
        joined.append(";".join(members))
        counts.append(len(members))
    return pa_arrow.array(joined, pa_arrow.string()), pa_arrow.array(counts, pa_arrow.int64())


@dataclass
class _Column:
    name: str
    arrays: dict[str, pa_arrow.Array]
    failures: list[tuple[int, Any, str]]  # row index in the file, value shown, check


# Characters no export should hold in a field: NUL and the other control characters (tab, line
# feed and carriage return aside). They break downstream tools and can hide text.
_CONTROL = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
CONTROL_CHECK = "contains a control character (such as NUL): fix the export"


def _control_characters(original: pa_arrow.Array, col: ColumnSpec) -> list[tuple[int, Any, str]]:
    if not (pa_arrow.types.is_string(original.type) or pa_arrow.types.is_large_string(original.type)):
        return []
    hits = pc.fill_null(pc.match_substring_regex(original, _CONTROL), False)
    if not pc.any(hits).as_py():
        return []
    index = np.flatnonzero(hits.to_numpy(zero_copy_only=False))
    values = original.take(pa_arrow.array(index)).to_pylist()
    return [
        (int(i), HIDDEN_VALUE if col.identifies_person else repr(value)[1:-1][:60], CONTROL_CHECK)
        for i, value in zip(index.tolist(), values)
    ]


def _column(raw: RawFile, rows: int, present: list[str], name: str, col: ColumnSpec) -> _Column:
    """One canonical column of one file (runs in a worker thread)."""
    target = ARROW_TYPES[col.type]
    if col.constant is not None:
        constant = pa_arrow.DictionaryArray.from_arrays(
            pa_arrow.array(np.zeros(rows, dtype=np.int32)), pa_arrow.array([col.constant])
        )
        return _Column(name, {name: pc.cast(constant, target)}, [])
    if col.from_ not in present:
        arrays = {name: pa_arrow.nulls(rows, target)}
        if col.type == "list":
            arrays[f"{name}_count"] = pa_arrow.array(np.zeros(rows, dtype=np.int64))
        return _Column(name, arrays, [])
    original = _column_values(raw, col.from_)
    if raw.frame is not None and col.type in {"date", "datetime"}:
        # Excel cells that already hold dates arrive as ISO text; accept them beside `format`.
        iso = pc.strptime(_to_string(original), format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
        parsed = pc.coalesce(iso, pc.cast(_parse(original, col), pa_arrow.timestamp("s")))
        if col.type == "date":
            parsed = pc.cast(parsed, pa_arrow.date32())
    else:
        source_values = _recode(_to_string(original), col.values) if col.values else original
        parsed = _parse(source_values, col)
    check = f"parse as {col.type}" + (f" with format {col.format}" if col.format else "")
    if col.type == "integer":
        check += f" (a whole number of at most {INT64_DIGITS} digits)"
    failures = _control_characters(original, col)
    bad = pc.and_(pc.is_valid(original), pc.is_null(parsed))
    if pc.any(bad).as_py():
        index = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
        shown = _to_string(original).take(pa_arrow.array(index)).to_pylist()
        failures += [
            (int(i), HIDDEN_VALUE if col.identifies_person else value, check)
            for i, value in zip(index.tolist(), shown)
        ]
    if col.type == "list":
        joined, counts = _split_list(col, parsed)
        return _Column(name, {name: joined, f"{name}_count": counts}, failures)
    return _Column(name, {name: pc.cast(parsed, target)}, failures)


def _canonical_table(
    source: str,
    spec: SourceSpec,
    raw: RawFile,
    failures: _Failures,
    unparsed: set[tuple[int, str]],
    pool: ThreadPoolExecutor,
    rows_in_file: np.ndarray,
) -> pa_arrow.Table | None:
    """The file's rows with canonical names and types; unparseable cells are noted in ``unparsed``
    (row index within the file, column) so that they are not reported twice."""
    present = _column_names(raw)
    expected = {c.from_ for c in spec.columns.values() if c.from_}
    required = {c.from_ for c in spec.columns.values() if c.from_ and c.required}
    missing = sorted(required - set(present))
    for name in missing:
        failures.add(source, raw.relative, "", name, "", "column is missing from the file")
    if spec.extra_columns == "error":
        for name in sorted(set(present) - expected):
            failures.add(
                source,
                raw.relative,
                "",
                name,
                "",
                "unexpected column (map it in params/sources.yml or set extra_columns: ignore)",
            )
    rows = _row_count(raw)
    if rows == 0:
        failures.add(source, raw.relative, "", "", "", "file has no data rows")
        return None
    if missing:
        return None
    columns = list(pool.map(lambda item: _column(raw, rows, present, *item), spec.columns.items()))
    arrays: dict[str, pa_arrow.Array] = {}
    for column in columns:
        for index, value, check in column.failures:
            unparsed.add((index, column.name))
            failures.add(source, raw.relative, int(rows_in_file[index]), column.name, value, check)
        arrays.update(column.arrays)
    return pa_arrow.table(arrays)


# --------------------------------------------------------------------------------------------
# Checks with pandera


def _pandera_schema(source: str, spec: SourceSpec, today: date, unique_ok: set[str]) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    for name, col in spec.columns.items():
        checks: list[pa.Check] = []
        if col.allowed is not None:
            if col.type == "list":
                allowed = set(col.allowed)
                checks.append(
                    pa.Check(
                        lambda s, allowed=allowed: s.map(
                            lambda v: not isinstance(v, str) or set(v.split(";")) <= allowed if v else True
                        ).astype(bool),
                        element_wise=False,
                        error=f"every item is one of: {', '.join(col.allowed)}",
                    )
                )
            else:
                checks.append(pa.Check.isin(col.allowed, error=f"value is one of: {', '.join(col.allowed)}"))
        low, high = col.min, col.max
        if col.type in {"date", "datetime"}:
            if high == "today":
                high = today
            if low is not None:
                checks.append(pa.Check.ge(pd.Timestamp(low), error=f"date on or after {low}"))
            if high is not None:
                checks.append(
                    pa.Check.le(
                        pd.Timestamp(high) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1),
                        error=f"date on or before {high}",
                    )
                )
        else:
            if low is not None:
                checks.append(pa.Check.ge(low, error=f"value at least {low:g}"))
            if high is not None and high != "today":
                checks.append(pa.Check.le(high, error=f"value at most {high:g}"))
        nullable = col.nullable or (not col.required and col.from_ is not None)
        columns[name] = pa.Column(
            None,
            checks=checks,
            nullable=nullable,
            unique=spec.unique == [name] and name not in unique_ok,
            report_duplicates="exclude_first",
        )
    unique = spec.unique if len(spec.unique) > 1 and "+".join(spec.unique) not in unique_ok else None
    return pa.DataFrameSchema(
        columns, strict=False, unique=unique, report_duplicates="exclude_first", name=source
    )


PANDERA_CHUNK_ROWS = 2_000_000


def _pandera_failures(
    source: str,
    spec: SourceSpec,
    table: pa_arrow.Table,
    files: list[str],
    file_index: np.ndarray,
    rows: np.ndarray,
    today: date,
    failures: _Failures,
    already: set[tuple[int, str]],
    unique_ok: set[str],
) -> None:
    """Run the pandera schema lazily over the table, in row chunks to bound memory.

    Row-wise checks are exact per chunk; uniqueness spans chunks, so when Arrow could not prove
    a key unique it is checked by pandera on the key columns of the whole table instead.
    """
    date_columns = [n for n, c in spec.columns.items() if c.type in {"date", "datetime"}]
    row_schema = _pandera_schema(source, spec, today, unique_ok | {*spec.unique, "+".join(spec.unique)})
    for start in range(0, table.num_rows, PANDERA_CHUNK_ROWS):
        frame = table.slice(start, PANDERA_CHUNK_ROWS).to_pandas(types_mapper=_types_mapper)
        frame.index = pd.RangeIndex(start, start + len(frame))
        frame = frame.assign(**{name: pd.to_datetime(frame[name]) for name in date_columns})
        _report(row_schema, frame, source, spec, files, file_index, rows, failures, already)
    unchecked = [
        k
        for k in (spec.unique if len(spec.unique) == 1 else ["+".join(spec.unique)])
        if spec.unique and k not in unique_ok
    ]
    if unchecked:
        keys = table.select(spec.unique).to_pandas(types_mapper=_types_mapper)
        keys = keys.assign(**{n: pd.to_datetime(keys[n]) for n in spec.unique if n in date_columns})
        key_spec = spec.model_copy(update={"columns": {n: spec.columns[n] for n in spec.unique}})
        key_schema = _pandera_schema(source, key_spec, today, unique_ok)
        _report(
            key_schema, keys, source, spec, files, file_index, rows, failures, already, only_uniqueness=True
        )


def _report(
    schema: pa.DataFrameSchema,
    frame: pd.DataFrame,
    source: str,
    spec: SourceSpec,
    files: list[str],
    file_index: np.ndarray,
    rows: np.ndarray,
    failures: _Failures,
    already: set[tuple[int, str]],
    only_uniqueness: bool = False,
) -> None:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.copy()
        if only_uniqueness:
            cases = cases[cases["check"].isin(["field_uniqueness", "multiple_fields_uniqueness"])]
        person_columns = [n for n, c in spec.columns.items() if c.identifies_person]
        cases["failure_case"] = (
            cases["failure_case"].astype(object).where(~cases["column"].isin(person_columns), HIDDEN_VALUE)
        )
        cases = _merge_multi_column_duplicates(cases)
        for case in cases.itertuples(index=False):
            index = case.index
            column = case.column if isinstance(case.column, str) else ""
            if column and column not in spec.columns and ", " not in column:
                column = ""
            check = _describe_check(str(case.check), column)
            if check is None:
                continue
            col_spec = spec.columns.get(column)
            value = case.failure_case
            if col_spec is not None and col_spec.identifies_person:
                value = HIDDEN_VALUE
            elif isinstance(value, pd.Timestamp):
                value = value.isoformat(sep=" ").removesuffix(" 00:00:00")
            if index is None or (isinstance(index, float) and np.isnan(index)):
                failures.add(source, "", "", column, value, check)
                continue
            if (int(index), column) in already:
                continue  # reported as unparseable already
            failures.add(
                source,
                files[int(file_index[int(index)])],
                int(rows[int(index)]),
                column or ", ".join(spec.unique),
                value,
                check,
            )


def _merge_multi_column_duplicates(cases: pd.DataFrame) -> pd.DataFrame:
    """pandera reports a repeated multi-column key once per column; report it once per row."""
    multi = cases["check"] == "multiple_fields_uniqueness"
    if not multi.any():
        return cases
    merged = (
        cases[multi]
        .groupby("index", sort=True)
        .agg(
            column=("column", lambda c: ", ".join(map(str, c))),
            failure_case=("failure_case", lambda v: " | ".join(map(str, v))),
            check=("check", "first"),
        )
        .reset_index()
    )
    return pd.concat([cases[~multi], merged], ignore_index=True)


def _describe_check(check: str, column: str) -> str | None:
    if check == "not_nullable":
        return "value is required (blank found)"
    if check == "field_uniqueness":
        return "duplicate event (this id appears earlier)"
    if check in {"multiple_fields_uniqueness", "unique"}:
        return "duplicate record (these columns repeat an earlier row)"
    if check.startswith("dtype("):
        return None
    return check


def _unique_already(table: pa_arrow.Table, spec: SourceSpec) -> set[str]:
    """Unique keys Arrow proves unique (one C++ hash pass); pandera need not check them again."""
    if not spec.unique:
        return set()
    if len(spec.unique) == 1:
        column = table.column(spec.unique[0]).drop_null()
        return set(spec.unique) if len(pc.unique(column)) == len(column) else set()
    key = pc.binary_join_element_wise(
        *[pc.cast(table.column(c), pa_arrow.string()) for c in spec.unique], "\x1f"
    )
    return {"+".join(spec.unique)} if len(pc.unique(key)) == len(key) else set()


def _categorical(table: pa_arrow.Table, spec: SourceSpec) -> pa_arrow.Table:
    """Dictionary-encode low-cardinality text (call types, agencies): fast checks, small files."""
    for name, col in spec.columns.items():
        if col.type != "string" or col.identifier or col.identifies_person:
            continue
        encoded = pc.dictionary_encode(table.column(name))
        if sum(len(chunk.dictionary) for chunk in encoded.chunks) <= max(1000, table.num_rows // 100):
            table = table.set_column(table.schema.get_field_index(name), name, encoded)
    return table.unify_dictionaries()


# --------------------------------------------------------------------------------------------
# One source


@dataclass
class ValidatedSource:
    name: str
    spec: SourceSpec
    table: pa_arrow.Table
    files: list[Path]
    file_hashes: dict[str, str]
    skipped: dict[str, int]  # rows dropped by the source's skip_rows policy, per file


def validate_source(
    paths: ProjectPaths,
    name: str,
    spec: SourceSpec,
    today: date,
    failures: _Failures,
    hashes: dict[str, str] | None = None,
    pool: ThreadPoolExecutor | None = None,
    where: dict[str, str] | None = None,
) -> ValidatedSource | None:
    """Read, map and check every file of one source. Problems in the data are added to
    ``failures``; ``where["file"]`` names the file being read, for an internal error's message."""
    where = where if where is not None else {}
    skipped: dict[str, int] = {}
    files = raw_files(paths, spec)
    if not files:
        failures.add(name, spec.files, "", "", "", f"no file matches '{spec.files}' under data/raw")
        return None
    own_pool = pool is None
    pool = pool or ThreadPoolExecutor(THREADS)
    try:
        tables, labels, row_numbers, file_hashes = [], [], [], {}
        already: set[tuple[int, str]] = set()
        relatives = [p.relative_to(paths.raw).as_posix() for p in files]
        for index, (path, relative) in enumerate(zip(files, relatives)):
            file_hashes[relative] = (hashes or {}).get(relative) or file_sha256(path)
            where["file"] = relative
            try:
                raw = _read_file(path, relative, spec)
            except UndecodableFile as exc:
                for row, column, shown in exc.problems:
                    person = any(c.identifies_person and c.from_ == column for c in spec.columns.values())
                    check = (
                        f"cannot be read as {spec.encoding}: fix the export or set encoding: in sources.yml"
                    )
                    failures.add(name, relative, row, column, HIDDEN_VALUE if person else shown, check)
                continue
            except READ_ERRORS as exc:  # a file that is not what its format says: a data problem
                failures.add(name, relative, "", "", "", f"file cannot be read as {spec.format}: {exc}")
                continue
            for line, problem in raw.malformed:
                failures.add(name, relative, line if line is not None else "", "", "", problem)
            first = _row_label(spec, 0)
            rows_in_file = np.arange(first, first + _row_count(raw), dtype=np.int64)
            if spec.skip_rows:
                raw, rows_in_file, dropped = _skip_rows(raw, spec, rows_in_file)
                skipped[relative] = dropped
            unparsed: set[tuple[int, str]] = set()
            table = _canonical_table(name, spec, raw, failures, unparsed, pool, rows_in_file)
            if table is None:
                continue
            offset = sum(t.num_rows for t in tables)
            already.update((offset + i, column) for i, column in unparsed)
            tables.append(table)
            labels.append(np.full(table.num_rows, index, dtype=np.int32))
            row_numbers.append(rows_in_file)
        if not tables:
            return None
        table = _categorical(pa_arrow.concat_tables(tables), spec)
        del tables
        unique_ok = _unique_already(table, spec)
        _pandera_failures(
            name,
            spec,
            table,
            relatives,
            np.concatenate(labels),
            np.concatenate(row_numbers),
            today,
            failures,
            already,
            unique_ok,
        )
        return ValidatedSource(name, spec, table, files, file_hashes, skipped)
    finally:
        if own_pool:
            pool.shutdown()


def _skip_rows(raw: RawFile, spec: SourceSpec, rows: np.ndarray) -> tuple[RawFile, np.ndarray, int]:
    """Drop the rows the source's ``skip_rows`` policy names: all the listed columns blank."""
    assert spec.skip_rows is not None
    present = set(_column_names(raw))
    blank = np.ones(len(rows), dtype=bool)
    for name in spec.skip_rows.all_blank:
        col = spec.columns[name]
        if col.constant is not None:
            blank[:] = False
        elif col.from_ in present:
            values = _to_string(_column_values(raw, col.from_))
            empty = pc.fill_null(pc.equal(values, ""), True)
            blank &= empty.to_numpy(zero_copy_only=False)
    dropped = int(blank.sum())
    if not dropped:
        return raw, rows, 0
    keep = ~blank
    if raw.table is not None:
        raw = RawFile(raw.path, raw.relative, raw.table.filter(pa_arrow.array(keep)), None, raw.malformed)
    else:
        assert raw.frame is not None
        raw = RawFile(raw.path, raw.relative, None, raw.frame[keep].reset_index(drop=True), raw.malformed)
    return raw, rows[keep], dropped


def _types_mapper(arrow_type: pa_arrow.DataType) -> Any:
    if arrow_type in (pa_arrow.string(), pa_arrow.large_string()):
        return pd.StringDtype(na_value=np.nan)
    return None


# --------------------------------------------------------------------------------------------
# Pseudonymisation


def pseudonymise(values: pd.Series, key: bytes, chars: int) -> pd.Series:
    """HMAC-SHA256 of each value, hex, truncated; computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    digests = np.array(
        [hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:chars] for u in uniques],
        dtype=object,
    )
    out = np.full(len(values), None, dtype=object)
    present = codes >= 0
    out[present] = digests[codes[present]]
    return pd.Series(out, index=values.index, dtype="str")


def pseudonymise_arrow(
    values: pa_arrow.ChunkedArray | pa_arrow.Array, key: bytes, chars: int
) -> pa_arrow.Array:
    """The same keyed hash on an Arrow column, once per distinct value."""
    encoded = pc.dictionary_encode(pc.cast(values, pa_arrow.string()))
    if isinstance(encoded, pa_arrow.ChunkedArray):
        encoded = encoded.combine_chunks()
    digests = pa_arrow.array(
        [
            hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:chars]
            for v in encoded.dictionary.to_pylist()
        ],
        pa_arrow.string(),
    )
    return pc.take(digests, encoded.indices)


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

    ``cache_key`` (what the runner's cache compares) is written into the record with the tables.

    ``fingerprint`` (raw file -> SHA-256), when the caller has it already, saves hashing
    gigabytes of raw files a second time.
    """
    started = time.perf_counter()
    _return_memory_promptly()
    today = today or date.today()
    fingerprint = fingerprint or raw_fingerprint(paths, config)
    failures = _Failures()
    validated: list[ValidatedSource] = []
    with ThreadPoolExecutor(THREADS) as pool:
        for name, spec in config.sources.items():
            t0 = time.perf_counter()
            where: dict[str, str] = {}
            try:
                result = validate_source(paths, name, spec, today, failures, fingerprint, pool, where)
            except Exception as exc:  # not a problem in the data: a bug, said so plainly
                raise IngestInternalError(name, where.get("file", spec.files), exc) from exc
            if result is not None:
                validated.append(result)
                log.info(
                    "validated %s: %s rows from %d file(s) in %.1fs",
                    name,
                    f"{result.table.num_rows:,}",
                    len(result.files),
                    time.perf_counter() - t0,
                )
    table = failures.frame()
    if not table.empty:
        raise SourceValidationError(table)
    key, demo = pseudonym_key(config, paths)
    paths.processed.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".canonical-", dir=paths.processed))
    staging.chmod(0o755)
    try:
        sources_record: dict[str, SourceRecord] = {}
        for item in validated:
            data = item.table
            for column, col in item.spec.columns.items():
                if col.identifies_person:
                    data = data.set_column(
                        data.schema.get_field_index(column),
                        column,
                        pseudonymise_arrow(data.column(column), key, config.pseudonymisation.digest_chars),
                    )
            _write_parquet(data, staging / f"{item.name}.parquet")
            dates = data.column(item.spec.date_column)
            first, last = pc.min_max(dates).values()
            sources_record[item.name] = SourceRecord(
                rows=data.num_rows,
                files=item.file_hashes,
                first_date=_day(first.as_py()),
                last_date=_day(last.as_py()),
                days=records_per_day(dates),
                skipped_rows=dict(sorted(item.skipped.items())),
            )
        record = IngestRecord(
            sample_data=is_sample_data(paths),
            demo_pseudonym_key=demo,
            raw_fingerprint=fingerprint,
            code_version=code_version,
            sources=sources_record,
            cache_key=cache_key,
        )
        write_record(staging / paths.ingest_record.name, record, exclude_none=True)
        swap_directory(staging, paths.canonical)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return IngestResult(record, time.perf_counter() - started)


def records_per_day(dates: pa_arrow.ChunkedArray) -> dict[str, int]:
    """How many records each day has (the days with none are absent): the source's coverage."""
    counts = pc.value_counts(pc.cast(dates, pa_arrow.date32()).drop_null())
    days = counts.field("values").to_pylist()
    numbers = counts.field("counts").to_pylist()
    return {day.isoformat(): int(n) for day, n in sorted(zip(days, numbers))}


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


def _write_parquet(table: pa_arrow.Table, path: Path) -> None:
    pq.write_table(
        table.replace_schema_metadata(None),
        path,
        compression="zstd",
        compression_level=1,  # internal tables, rewritten every ingest: speed over size
        use_dictionary=True,
        write_statistics=False,
    )


def load_canonical(paths: ProjectPaths, source: str, columns: list[str] | None = None) -> pd.DataFrame:
    path = paths.canonical / f"{source}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `python -m helpers ingest` first")
    return pq.read_table(path, columns=columns).to_pandas(types_mapper=_types_mapper)
