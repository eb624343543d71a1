"""Reading department exports: CSV (any declared encoding), Excel and parquet files, mapped
column by column to the canonical names and types of ``params/sources.yml``.

Files are parsed in Arrow, column by column in parallel threads (Arrow releases the GIL).
Unparseable values, undecodable bytes and control characters become rows of the failure table,
located by file, row and column; junk rows are dropped only by a source's ``skip_rows`` rule.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..params.sources import ColumnSpec, SourceSpec
from .text import text_bytes
from .times import parse_times
from .validation import HIDDEN_VALUE, Failures

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


@dataclass
class RawFile:
    path: Path
    relative: str
    table: pa_arrow.Table | None  # csv: all strings; parquet: native types
    frame: pd.DataFrame | None  # xlsx
    malformed: list[tuple[int | None, str]] = field(default_factory=list)


def python_encoding(encoding: str) -> str:
    """UTF-8 is read with or without the byte-order mark Excel's "CSV UTF-8" writes."""
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def arrow_encoding(encoding: str) -> str:
    """The name Arrow's CSV reader knows an encoding by (its own UTF-8 path is ``utf8``)."""
    return "utf8" if codecs.lookup(encoding).name == "utf-8" else encoding


class UndecodableFile(ValueError):
    """A file holds bytes its declared encoding cannot decode; ``problems`` locates them."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems  # (row, column, detail)
        super().__init__(f"{len(problems)} undecodable value(s)")


def _undecodable(data: bytes, encoding: str, delimiter: str, limit: int = 200) -> list[tuple[int, str, str]]:
    """Where a file's bytes do not decode: (row as in a spreadsheet, column, the bytes).

    Only run when Arrow reported the problem without saying where; the file is decoded again
    with the bad bytes kept as escapes, and each field holding one is reported."""
    text = data.decode(python_encoding(encoding), errors="surrogateescape")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(rows, [])]
    found: list[tuple[int, str, str]] = []
    for number, row in enumerate(rows, start=2):
        for index, value in enumerate(row):
            if any("\udc80" <= ch <= "\udcff" for ch in value):
                shown = value.encode(python_encoding(encoding), errors="surrogateescape")
                column = header[index] if index < len(header) else f"(field {index + 1})"
                found.append((number, column, f"{shown!r}"[2:-1][:60]))
                if len(found) >= limit:
                    return found
    return found


def _read_csv(data: bytes, spec: SourceSpec) -> tuple[pa_arrow.Table, list[tuple[int | None, str]]]:
    """All columns as text; rows with the wrong number of fields are skipped and reported."""
    options, encoding = spec.csv, spec.encoding
    try:
        with io.TextIOWrapper(io.BytesIO(data), newline="", encoding=python_encoding(encoding)) as handle:
            header = next(csv.reader(handle, delimiter=options.delimiter), [])
    except UnicodeDecodeError:
        raise UndecodableFile(
            _undecodable(data, encoding, options.delimiter) or [(1, "(header)", "")]
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
            pa_arrow.BufferReader(data),
            read_options=pacsv.ReadOptions(
                encoding=arrow_encoding(encoding),
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
        raise UndecodableFile(_undecodable(data, encoding, options.delimiter)) from None
    return table, malformed


def read_file(path: Path, relative: str, spec: SourceSpec, data: bytes) -> RawFile:
    """The file's ``data``, read once by the caller, who hashed exactly these bytes: a file
    replaced during the run can never give tables that do not match the recorded hash."""
    if spec.format == "csv":
        table, malformed = _read_csv(data, spec)
        return RawFile(path, relative, table, None, malformed)
    if spec.format == "parquet":
        return RawFile(path, relative, _decoded(pq.read_table(pa_arrow.BufferReader(data))), None)
    frame = pd.read_excel(io.BytesIO(data), sheet_name=spec.sheet or 0, dtype=object, engine="openpyxl")
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawFile(path, relative, None, frame)


def _decoded(table: pa_arrow.Table) -> pa_arrow.Table:
    """A table without dictionary-encoded columns: a dictionary column reaches the mapping only
    from the streaming pass, which asks the CSV reader for one (``csv_types``)."""
    for index, column in enumerate(table.schema):
        if pa_arrow.types.is_dictionary(column.type):
            values = table.column(index).cast(column.type.value_type)
            table = table.set_column(index, column.name, values)
    return table


DEFAULT_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%d %H:%M:%S"}


def csv_types(spec: SourceSpec, names: list[str], convert: bool = True) -> dict[str, pa_arrow.DataType]:
    """How the streaming pass asks the CSV reader for each of a file's ``names``. A header only
    categorical columns read comes as codes and their distinct values (mapped once per value,
    never spelled out row by row). With ``convert``, a header only whole-number columns read
    comes as numbers; a value that does not convert as it stands (padded with spaces, say)
    fails the whole piece, which is then read as text, mapped and located the usual way.
    Anything else comes as text. Times too: the reader's own conversion takes 30 February for
    2 March, and ``parse_times`` reads fixed layouts quicker than it does."""
    kinds: dict[str, set[str]] = {}  # what the columns reading each header make of it
    for col in spec.columns.values():
        if col.from_:
            kinds.setdefault(col.from_, set()).add("category" if col.categorical else col.type)
    read_as = {"category": pa_arrow.dictionary(pa_arrow.int32(), pa_arrow.string())}
    if convert:
        read_as["integer"] = pa_arrow.int64()
    types = {}
    for name in names:
        made = kinds.get(name, set())
        types[name] = (
            read_as.get(next(iter(made)), pa_arrow.string()) if len(made) == 1 else pa_arrow.string()
        )
    return types


def column_values(raw: RawFile, name: str) -> pa_arrow.Array:
    if raw.table is not None:
        return raw.table.column(name).combine_chunks()
    assert raw.frame is not None
    values = raw.frame[name].map(lambda v: v.isoformat(sep=" ") if hasattr(v, "isoformat") else v)
    values = values.where(pd.notna(values), None)
    if values.map(lambda v: isinstance(v, str) or v is None).all():
        return pa_arrow.array(values.tolist(), pa_arrow.string())
    return pa_arrow.array(values.tolist(), from_pandas=True)


def column_names(raw: RawFile) -> list[str]:
    if raw.table is not None:
        return list(raw.table.column_names)
    assert raw.frame is not None
    return list(raw.frame.columns)


def row_count(raw: RawFile) -> int:
    return raw.table.num_rows if raw.table is not None else len(raw.frame)  # type: ignore[arg-type]


def row_label(spec: SourceSpec, index: int) -> int:
    """Row as a person opening the file sees it: the header is row 1 in CSV and Excel."""
    return index + (2 if spec.format in {"csv", "xlsx"} else 1)


# --------------------------------------------------------------------------------------------
# Parsing to canonical types (vectorised; failures become rows of the failure table)


def _edges_plain(array: pa_arrow.Array) -> bool:
    """Whether no value can start or end with white space: its first and last bytes are
    printable ASCII other than a space (any other byte may begin Unicode white space). A blank
    value's neighbours' bytes are looked at in its place: at worst a column is trimmed for
    nothing."""
    found = text_bytes(array)
    if found is None:
        return True
    data, offsets = found
    if offsets[-1] == offsets[0]:  # every value blank
        return True
    firsts = data.take(offsets[:-1], mode="clip")
    lasts = data.take(offsets[1:] - 1, mode="clip")
    return bool((firsts - 0x21 < 0x5E).all() and (lasts - 0x21 < 0x5E).all())  # 0x21..0x7E, unsigned


def _trimmed(array: pa_arrow.Array, distinct: bool) -> pa_arrow.Array:
    """Text without surrounding spaces. Repetitive columns (codes, categories) are trimmed once
    per distinct value; identifiers, nearly all distinct, are trimmed directly."""
    if _edges_plain(array):
        return array
    if not distinct:
        encoded = pc.dictionary_encode(array)
        if len(encoded.dictionary) * 4 < len(array):
            return pc.take(pc.utf8_trim_whitespace(encoded.dictionary), encoded.indices)
    return pc.utf8_trim_whitespace(array)


def to_string(array: pa_arrow.Array, distinct: bool = False) -> pa_arrow.Array:
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
            parsed = parse_times(to_string(array), spec.format or DEFAULT_FORMATS[kind])
        return pc.cast(parsed, pa_arrow.date32()) if kind == "date" else parsed
    if kind == "integer":
        if pa_arrow.types.is_integer(array.type):
            return pc.cast(array, pa_arrow.int64())
        return _numeric(to_string(array), pa_arrow.int64(), r"^[+-]?\d+$")
    if kind == "float":
        if pa_arrow.types.is_floating(array.type) or pa_arrow.types.is_integer(array.type):
            return pc.cast(array, pa_arrow.float64())
        text = pc.replace_substring(to_string(array), ",", "")
        return _numeric(text, pa_arrow.float64(), r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    return to_string(array, distinct=spec.identifier or spec.identifies_person)


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
    found = text_bytes(original) if pa_arrow.types.is_string(original.type) else None
    if found is not None:
        data, offsets = found
        used = data[offsets[0] : offsets[-1]]
        if not len(used) or (used.min() >= 0x20 and not (used == 0x7F).any()):
            return []  # no byte below 0x20 nor 0x7F: in UTF-8 they are never part of another character
    hits = pc.fill_null(pc.match_substring_regex(original, _CONTROL), False)
    if not pc.any(hits).as_py():
        return []
    index = np.flatnonzero(hits.to_numpy(zero_copy_only=False))
    values = original.take(pa_arrow.array(index)).to_pylist()
    return [
        (int(i), HIDDEN_VALUE if col.identifies_person else repr(value)[1:-1][:60], CONTROL_CHECK)
        for i, value in zip(index.tolist(), values)
    ]


def _coded(original: pa_arrow.DictionaryArray, col: ColumnSpec) -> pa_arrow.DictionaryArray | None:
    """A categorical column mapped through its distinct values (trimmed, recoded) instead of row
    by row; None when one of them holds a control character, whose rows the row path locates.

    Codes read from a CSV file number the values in the order they first appear, as
    ``dictionary_encode`` does; values that become one (two codes recoded alike) are folded into
    the first, so the column is exactly what encoding the mapped text row by row would give."""
    if not col.categorical or _control_characters(original.dictionary, col):
        return None
    values = original.dictionary
    mapped = _parse(_recode(to_string(values), col.values) if col.values else values, col)
    folded = pc.dictionary_encode(mapped)
    return pa_arrow.DictionaryArray.from_arrays(pc.take(folded.indices, original.indices), folded.dictionary)


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
    original = column_values(raw, col.from_)
    if pa_arrow.types.is_dictionary(original.type):
        coded = _coded(original, col)
        if coded is not None:
            return _Column(name, {name: coded}, [])
        original = original.cast(original.type.value_type)  # the row path names the rows
    if raw.frame is not None and col.type in {"date", "datetime"}:
        # Excel cells that already hold dates arrive as ISO text; accept them beside `format`.
        iso = parse_times(to_string(original), "%Y-%m-%d %H:%M:%S")
        parsed = pc.coalesce(iso, pc.cast(_parse(original, col), pa_arrow.timestamp("s")))
        if col.type == "date":
            parsed = pc.cast(parsed, pa_arrow.date32())
    else:
        source_values = _recode(to_string(original), col.values) if col.values else original
        parsed = _parse(source_values, col)
    check = f"parse as {col.type}" + (f" with format {col.format}" if col.format else "")
    if col.type == "integer":
        check += f" (a whole number of at most {INT64_DIGITS} digits)"
    failures = _control_characters(original, col)
    bad = pc.and_(pc.is_valid(original), pc.is_null(parsed))
    if pc.any(bad).as_py():
        index = np.flatnonzero(bad.to_numpy(zero_copy_only=False))
        shown = to_string(original).take(pa_arrow.array(index)).to_pylist()
        failures += [
            (int(i), HIDDEN_VALUE if col.identifies_person else value, check)
            for i, value in zip(index.tolist(), shown)
        ]
    if col.type == "list":
        joined, counts = _split_list(col, parsed)
        return _Column(name, {name: joined, f"{name}_count": counts}, failures)
    return _Column(name, {name: pc.cast(parsed, target)}, failures)


def canonical_table(
    source: str,
    spec: SourceSpec,
    raw: RawFile,
    failures: Failures,
    unparsed: set[tuple[int, str]],
    pool: ThreadPoolExecutor,
    rows_in_file: np.ndarray,
) -> pa_arrow.Table | None:
    """The file's rows with canonical names and types; unparseable cells are noted in ``unparsed``
    (row index within the file, column) so that they are not reported twice."""
    present = column_names(raw)
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
    rows = row_count(raw)
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


def skip_rows(raw: RawFile, spec: SourceSpec, rows: np.ndarray) -> tuple[RawFile, np.ndarray, int]:
    """Drop the rows the source's ``skip_rows`` policy names: all the listed columns blank."""
    assert spec.skip_rows is not None
    present = set(column_names(raw))
    blank = np.ones(len(rows), dtype=bool)
    for name in spec.skip_rows.all_blank:
        col = spec.columns[name]
        if col.constant is not None:
            blank[:] = False
        elif col.from_ in present:
            values = to_string(column_values(raw, col.from_))
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
