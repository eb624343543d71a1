"""Ingest: raw department exports -> validated, pseudonymised canonical tables.

Ingest is all or nothing: every source is read and validated before anything is written, and one
bad row anywhere stops the stage with a table of file, row, column, value and check (pandera's lazy
validation). Person identifiers are replaced by a keyed hash (HMAC-SHA256) before anything is
written, so raw keys never reach ``data/processed``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import logging
import shutil
import tempfile
import time
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
from .sources import (
    INGEST_RECORD,
    ColumnSpec,
    CsvOptions,
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
            lines.append(f"... and {len(table) - limit} more; run `python -m helpers ingest "
                         "--failures failures.csv` to write them all.")
        return "\n".join(lines)


def _format_table(table: pd.DataFrame) -> str:
    if table.empty:
        return "(none)"
    shown = table.astype(object).map(lambda v: "" if v is None or v != v else str(v))
    widths = {c: min(max(len(c), *(len(v) for v in shown[c])), 48) for c in shown.columns}
    header = "  ".join(c.ljust(widths[c]) for c in shown.columns)
    rows = ["  ".join(v[: widths[c]].ljust(widths[c]) for c, v in row.items())
            for _, row in shown.iterrows()]
    return "\n".join([header, "  ".join("-" * widths[c] for c in shown.columns), *rows])


@dataclass
class _Failures:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, source: str, file: str, row: Any, column: str, value: Any, check: str) -> None:
        self.rows.append({"source": source, "file": file, "row": row, "column": column,
                          "value": value, "check": check})

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


def _read_csv(path: Path, options: CsvOptions) -> tuple[pa_arrow.Table, list[tuple[int | None, str]]]:
    """All columns as text; rows with the wrong number of fields are skipped and reported."""
    with path.open(newline="", encoding=options.encoding) as handle:
        header = next(csv.reader(handle, delimiter=options.delimiter), [])
    names = [h.strip() for h in header]
    malformed: list[tuple[int | None, str]] = []

    def invalid(row: Any) -> str:
        malformed.append((row.number, f"row has {row.actual_columns} fields, the header has "
                                      f"{row.expected_columns}"))
        return "skip"

    def read(threads: bool) -> pa_arrow.Table:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=options.encoding, column_names=names,
                                           skip_rows=1, block_size=1 << 24, use_threads=threads),
            parse_options=pacsv.ParseOptions(delimiter=options.delimiter,
                                             invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa_arrow.string() for n in names},
                                                 strings_can_be_null=True, null_values=[""]))

    table = read(threads=True)
    if malformed:  # only the single-threaded reader knows line numbers: worth it on this path
        malformed.clear()
        table = read(threads=False)
    return table, malformed


def _read_file(path: Path, relative: str, spec: SourceSpec) -> RawFile:
    if spec.format == "csv":
        table, malformed = _read_csv(path, spec.csv)
        return RawFile(path, relative, table, None, malformed)
    if spec.format == "parquet":
        return RawFile(path, relative, pq.read_table(path), None)
    frame = pd.read_excel(path, sheet_name=spec.sheet or 0, dtype=object, engine="openpyxl")
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawFile(path, relative, None, frame)


# --------------------------------------------------------------------------------------------
# Parsing to canonical types (vectorised; failures become rows of the failure table)


def _as_arrow(values: Any) -> pa_arrow.Array:
    if isinstance(values, pa_arrow.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa_arrow.Array):
        return values
    return pa_arrow.array(pd.Series(values, dtype=object).where(pd.notna(values), None),
                          from_pandas=True)


def _to_string(array: pa_arrow.Array) -> pa_arrow.Array:
    if pa_arrow.types.is_string(array.type) or pa_arrow.types.is_large_string(array.type):
        return pc.utf8_trim_whitespace(array)
    if pa_arrow.types.is_null(array.type):
        return pa_arrow.nulls(len(array), pa_arrow.string())
    if pa_arrow.types.is_floating(array.type):
        as_int = pc.cast(array, pa_arrow.int64(), safe=False)
        whole = pc.equal(pc.cast(as_int, array.type), array)
        return pc.if_else(whole, pc.cast(as_int, pa_arrow.string()), pc.cast(array, pa_arrow.string()))
    return pc.cast(array, pa_arrow.string())


def _parse(array: pa_arrow.Array, spec: ColumnSpec) -> pa_arrow.Array:
    """Parse to the canonical type; values that cannot be parsed become null."""
    kind = spec.type
    if kind in {"date", "datetime"}:
        if pa_arrow.types.is_timestamp(array.type) or pa_arrow.types.is_date(array.type):
            parsed = pc.cast(array, pa_arrow.timestamp("s"))
        else:
            default = "%Y-%m-%d" if kind == "date" else "%Y-%m-%d %H:%M:%S"
            parsed = pc.strptime(_to_string(array), format=spec.format or default, unit="s",
                                 error_is_null=True)
        return pc.cast(parsed, pa_arrow.date32()) if kind == "date" else parsed
    if kind == "integer":
        if pa_arrow.types.is_integer(array.type):
            return pc.cast(array, pa_arrow.int64())
        text = _to_string(array)
        ok = pc.match_substring_regex(text, r"^[+-]?\d+$")
        return pc.cast(pc.if_else(ok, text, pa_arrow.scalar(None, pa_arrow.string())),
                       pa_arrow.int64())
    if kind == "float":
        if pa_arrow.types.is_floating(array.type) or pa_arrow.types.is_integer(array.type):
            return pc.cast(array, pa_arrow.float64())
        text = pc.replace_substring(_to_string(array), ",", "")
        ok = pc.match_substring_regex(text, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
        return pc.cast(pc.if_else(ok, text, pa_arrow.scalar(None, pa_arrow.string())),
                       pa_arrow.float64())
    return _to_string(array)


def _recode(array: pa_arrow.Array, values: dict[str, str]) -> pa_arrow.Array:
    if not values:
        return array
    keys = pa_arrow.array(list(values), pa_arrow.string())
    targets = pa_arrow.array(list(values.values()), pa_arrow.string())
    index = pc.index_in(array, value_set=keys)
    mapped = pc.take(targets, index)
    return pc.if_else(pc.is_null(index), array, mapped)


def _column_values(raw: RawFile, name: str) -> pa_arrow.Array:
    if raw.table is not None:
        return raw.table.column(name).combine_chunks()
    assert raw.frame is not None
    series = raw.frame[name]
    converted = series.map(lambda v: v.isoformat(sep=" ") if hasattr(v, "isoformat") else v)
    return _as_arrow(converted)


def _column_names(raw: RawFile) -> list[str]:
    if raw.table is not None:
        return list(raw.table.column_names)
    assert raw.frame is not None
    return list(raw.frame.columns)


def _row_count(raw: RawFile) -> int:
    return raw.table.num_rows if raw.table is not None else len(raw.frame)  # type: ignore[arg-type]


@dataclass
class ValidatedSource:
    name: str
    spec: SourceSpec
    frame: pd.DataFrame
    files: list[Path]
    file_hashes: dict[str, str]


def _canonical_frame(source: str, spec: SourceSpec, raw: RawFile, failures: _Failures,
                     unparsed: set[tuple[int, str]]) -> pd.DataFrame | None:
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
            failures.add(source, raw.relative, "", name, "",
                         "unexpected column (map it in params/sources.yml or set "
                         "extra_columns: ignore)")
    rows = _row_count(raw)
    if rows == 0:
        failures.add(source, raw.relative, "", "", "", "file has no data rows")
        return None
    if missing:
        return None
    data: dict[str, Any] = {}
    for name, col in spec.columns.items():
        if col.constant is not None:
            data[name] = pd.Series([col.constant] * rows, dtype="str")
            continue
        if col.from_ not in present:
            data[name] = pd.Series([None] * rows, dtype="object")
            continue
        original = _column_values(raw, col.from_)
        if raw.frame is not None and col.type in {"date", "datetime"}:
            # Excel cells that already hold dates arrive as ISO text; accept them beside `format`.
            iso = pc.strptime(_to_string(original), format="%Y-%m-%d %H:%M:%S", unit="s",
                              error_is_null=True)
            fallback = _parse(original, col)
            parsed = pc.coalesce(iso, pc.cast(fallback, pa_arrow.timestamp("s")))
            if col.type == "date":
                parsed = pc.cast(parsed, pa_arrow.date32())
        else:
            source_values = _recode(_to_string(original), col.values) if col.values else original
            parsed = _parse(source_values, col)
        bad = pc.and_(pc.is_valid(original), pc.is_null(parsed))
        if pc.any(bad).as_py():
            index = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
            unparsed.update((int(i), name) for i in index)
            shown = _to_string(original).take(pa_arrow.array(index)).to_pylist()
            what = f"parse as {col.type}" + (f" with format {col.format}" if col.format else "")
            for i, value in zip(index.tolist(), shown):
                failures.add(source, raw.relative, _row_label(spec, i), name,
                             HIDDEN_VALUE if col.identifies_person else value, what)
        if col.type == "list":
            data.update(_split_list(name, col, parsed))
        else:
            data[name] = parsed.to_pandas(types_mapper=_types_mapper)
    return pd.DataFrame(data)


def _types_mapper(arrow_type: pa_arrow.DataType) -> Any:
    if arrow_type == pa_arrow.string():
        return pd.StringDtype(na_value=np.nan)
    return None


def _split_list(name: str, col: ColumnSpec, parsed: pa_arrow.Array) -> dict[str, pd.Series]:
    assert col.split is not None
    parts = pc.split_pattern(parsed, pattern=col.split)
    items = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    items = _recode(items, col.values)
    offsets = parts.offsets.to_numpy(zero_copy_only=False)
    flat = items.to_pylist()
    joined, counts = [], []
    valid = pc.is_valid(parsed).to_numpy(zero_copy_only=False)
    for i in range(len(parsed)):
        if not valid[i]:
            joined.append(None)
            counts.append(0)
            continue
        members = sorted({v for v in flat[offsets[i]:offsets[i + 1]] if v})
        joined.append(";".join(members))
        counts.append(len(members))
    return {name: pd.Series(joined, dtype="str"),
            f"{name}_count": pd.Series(counts, dtype="int64")}


def _row_label(spec: SourceSpec, index: int) -> int:
    """Row as a person opening the file sees it: the header is row 1 in CSV and Excel."""
    return index + (2 if spec.format in {"csv", "xlsx"} else 1)


def _pandera_schema(source: str, spec: SourceSpec, today: date) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    for name, col in spec.columns.items():
        checks: list[pa.Check] = []
        if col.allowed is not None:
            if col.type == "list":
                allowed = set(col.allowed)
                checks.append(pa.Check(
                    lambda s, allowed=allowed: s.map(
                        lambda v: not isinstance(v, str) or set(v.split(";")) <= allowed
                        if v else True).astype(bool),
                    element_wise=False,
                    error=f"every item is one of: {', '.join(col.allowed)}"))
            else:
                checks.append(pa.Check.isin(col.allowed,
                                            error=f"value is one of: {', '.join(col.allowed)}"))
        low, high = col.min, col.max
        if col.type in {"date", "datetime"}:
            if high == "today":
                high = today
            if low is not None:
                checks.append(pa.Check.ge(pd.Timestamp(low), error=f"date on or after {low}"))
            if high is not None:
                checks.append(pa.Check.le(pd.Timestamp(high) + pd.Timedelta(days=1) -
                                          pd.Timedelta(seconds=1),
                                          error=f"date on or before {high}"))
        else:
            if low is not None:
                checks.append(pa.Check.ge(low, error=f"value at least {low:g}"))
            if high is not None and high != "today":
                checks.append(pa.Check.le(high, error=f"value at most {high:g}"))
        nullable = col.nullable or (not col.required and col.from_ is not None)
        columns[name] = pa.Column(
            None, checks=checks, nullable=nullable,
            unique=(spec.unique == [name]), report_duplicates="exclude_first",
        )
    unique = spec.unique if len(spec.unique) > 1 else None
    return pa.DataFrameSchema(columns, strict=False, unique=unique,
                              report_duplicates="exclude_first", name=source)


def _pandera_failures(source: str, spec: SourceSpec, frame: pd.DataFrame, files: pd.Series,
                      rows: pd.Series, today: date, failures: _Failures,
                      already: set[tuple[int, str]]) -> None:
    schema = _pandera_schema(source, spec, today)
    date_columns = [n for n, c in spec.columns.items() if c.type in {"date", "datetime"}]
    checked = frame.copy()
    for name in date_columns:
        checked[name] = pd.to_datetime(checked[name])
    try:
        schema.validate(checked, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.copy()
        person_columns = [n for n, c in spec.columns.items() if c.identifies_person]
        cases["failure_case"] = cases["failure_case"].astype(object).where(
            ~cases["column"].isin(person_columns), HIDDEN_VALUE)
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
            failures.add(source, str(files.iloc[int(index)]), int(rows.iloc[int(index)]),
                         column or ", ".join(spec.unique), value, check)


def _merge_multi_column_duplicates(cases: pd.DataFrame) -> pd.DataFrame:
    """pandera reports a repeated multi-column key once per column; report it once per row."""
    multi = cases["check"] == "multiple_fields_uniqueness"
    if not multi.any():
        return cases
    merged = (
        cases[multi]
        .groupby("index", sort=True)
        .agg(column=("column", lambda c: ", ".join(map(str, c))),
             failure_case=("failure_case", lambda v: " | ".join(map(str, v))),
             check=("check", "first"))
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


def validate_source(paths: ProjectPaths, name: str, spec: SourceSpec, today: date,
                    failures: _Failures) -> ValidatedSource | None:
    files = raw_files(paths, spec)
    if not files:
        failures.add(name, spec.files, "", "", "", f"no file matches '{spec.files}' under data/raw")
        return None
    frames, file_labels, row_labels, hashes = [], [], [], {}
    already: set[tuple[int, str]] = set()
    for path in files:
        relative = path.relative_to(paths.raw).as_posix()
        hashes[relative] = file_sha256(path)
        try:
            raw = _read_file(path, relative, spec)
        except Exception as exc:  # unreadable file: report it as a failure row, keep going
            failures.add(name, relative, "", "", "", f"file cannot be read as {spec.format}: {exc}")
            continue
        for line, problem in raw.malformed:
            failures.add(name, relative, line if line is not None else "", "", "", problem)
        unparsed: set[tuple[int, str]] = set()
        frame = _canonical_frame(name, spec, raw, failures, unparsed)
        if frame is None:
            continue
        offset = sum(len(f) for f in frames)
        already.update((offset + i, column) for i, column in unparsed)
        frames.append(frame)
        count = len(frame)
        file_labels.append(pd.Series([relative] * count, dtype="category"))
        first = _row_label(spec, 0)
        row_labels.append(pd.Series(np.arange(first, first + count, dtype=np.int64)))
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    file_series = pd.concat(file_labels, ignore_index=True).astype(str)
    row_series = pd.concat(row_labels, ignore_index=True)
    _pandera_failures(name, spec, frame, file_series, row_series, today, failures, already)
    return ValidatedSource(name, spec, frame, files, hashes)


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


# --------------------------------------------------------------------------------------------
# The ingest stage


@dataclass
class IngestResult:
    record: dict[str, Any]
    seconds: float


def ingest(paths: ProjectPaths, config: SourcesConfig, today: date | None = None,
           code_version: str = "") -> IngestResult:
    """Validate every source, then write every canonical table; all or nothing."""
    started = time.perf_counter()
    today = today or date.today()
    failures = _Failures()
    validated: list[ValidatedSource] = []
    for name, spec in config.sources.items():
        t0 = time.perf_counter()
        result = validate_source(paths, name, spec, today, failures)
        if result is not None:
            validated.append(result)
            log.info("validated %s: %s rows from %d file(s) in %.1fs", name, f"{len(result.frame):,}",
                     len(result.files), time.perf_counter() - t0)
    table = failures.frame()
    if not table.empty:
        raise SourceValidationError(table)
    key, demo = pseudonym_key(config, paths)
    paths.processed.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".canonical-", dir=paths.processed))
    staging.chmod(0o755)
    try:
        sources_record: dict[str, Any] = {}
        for item in validated:
            frame = item.frame
            for column, col in item.spec.columns.items():
                if col.identifies_person:
                    frame[column] = pseudonymise(frame[column], key,
                                                 config.pseudonymisation.digest_chars)
            _write_parquet(frame, staging / f"{item.name}.parquet")
            dates = pd.to_datetime(frame[item.spec.date_column])
            sources_record[item.name] = {
                "rows": len(frame),
                "files": item.file_hashes,
                "first_date": dates.min().date().isoformat(),
                "last_date": dates.max().date().isoformat(),
            }
        record = {
            "sample_data": is_sample_data(paths),
            "demo_pseudonym_key": demo,
            "raw_fingerprint": raw_fingerprint(paths, config),
            "code_version": code_version,
            "sources": sources_record,
        }
        (staging / INGEST_RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        swap_directory(staging, paths.canonical)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return IngestResult(record, time.perf_counter() - started)


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa_arrow.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", use_dictionary=True, write_statistics=False)


def load_canonical(paths: ProjectPaths, source: str, columns: list[str] | None = None) -> pd.DataFrame:
    path = paths.canonical / f"{source}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run `python -m helpers ingest` first")
    return pq.read_table(path, columns=columns).to_pandas(types_mapper=_types_mapper)
