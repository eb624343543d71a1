"""Validation of raw exports: pandera's lazy checks, and the table of every problem.

Every problem of every source is collected (file, row as a spreadsheet numbers it, column, value,
check) before ingest gives up, so one run shows an analyst everything to fix. Values of columns
that identify a person are never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from ..params.sources import ColumnSpec, SourceSpec

HIDDEN_VALUE = "(hidden: identifies a person)"


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
class Failures:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, source: str, file: str, row: Any, column: str, value: Any, check: str) -> None:
        self.rows.append(
            {"source": source, "file": file, "row": row, "column": column, "value": value, "check": check}
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=FAILURE_COLUMNS)


def types_mapper(arrow_type: pa_arrow.DataType) -> Any:
    if arrow_type in (pa_arrow.string(), pa_arrow.large_string()):
        return pd.StringDtype(na_value=np.nan)
    return None


def unique_already(table: pa_arrow.Table, spec: SourceSpec) -> set[str]:
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


def column_bounds(col: ColumnSpec, today: date) -> tuple[Any, Any]:
    """A column's ``min`` and ``max`` as every check applies them: ``max: today`` is today for
    a date column and no bound for a number. Dates stay dates (the whole day is allowed)."""
    if col.type in {"date", "datetime"}:
        return col.min, (today if col.max == "today" else col.max)
    return col.min, (None if col.max == "today" else col.max)


def blank_allowed(col: ColumnSpec) -> bool:
    """A blank passes when the column says so, or when it is optional and mapped from the file."""
    return col.nullable or (not col.required and col.from_ is not None)


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
        low, high = column_bounds(col, today)
        if col.type in {"date", "datetime"}:
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
            if high is not None:
                checks.append(pa.Check.le(high, error=f"value at most {high:g}"))
        nullable = blank_allowed(col)
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


def pandera_failures(
    source: str,
    spec: SourceSpec,
    table: pa_arrow.Table,
    files: list[str],
    file_index: np.ndarray,
    rows: np.ndarray,
    today: date,
    failures: Failures,
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
        frame = table.slice(start, PANDERA_CHUNK_ROWS).to_pandas(types_mapper=types_mapper)
        frame.index = pd.RangeIndex(start, start + len(frame))
        frame = frame.assign(**{name: pd.to_datetime(frame[name]) for name in date_columns})
        _report(row_schema, frame, source, spec, files, file_index, rows, failures, already)
    unchecked = [
        k
        for k in (spec.unique if len(spec.unique) == 1 else ["+".join(spec.unique)])
        if spec.unique and k not in unique_ok
    ]
    if unchecked:
        keys = table.select(spec.unique).to_pandas(types_mapper=types_mapper)
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
    failures: Failures,
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
