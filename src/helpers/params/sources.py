"""The raw sources, as declared in ``params/sources.yml``.

A source says where a department's export files are, their format, and how each of the export's
column names maps to a canonical column with a type and checks; a new export layout maps in by
editing that YAML only. ``helpers.ingest`` does the reading and validating; this module stays
free of pandas so that a run with nothing to do starts quickly.
"""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..core.config import StrictModel, load_model

ColumnType = Literal["string", "integer", "float", "date", "datetime", "list"]


class ColumnSpec(StrictModel):
    """How one canonical column is made from the department's export."""

    from_: str | None = Field(default=None, alias="from")
    constant: str | None = None
    type: ColumnType
    format: str | None = None
    required: bool = True
    nullable: bool = False
    allowed: list[str] | None = None
    values: dict[str, str] = {}
    min: float | date | None = None
    max: float | date | Literal["today"] | None = None
    split: str | None = None
    identifies_person: bool = False
    identifier: bool = False

    @property
    def categorical(self) -> bool:
        """Text that repeats (call types, agencies), as opposed to identifiers: stored
        dictionary-encoded, and mapped and checked once per distinct value."""
        return self.type == "string" and not (self.identifier or self.identifies_person)

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnSpec:
        if (self.from_ is None) == (self.constant is None):
            raise ValueError(
                "a column needs exactly one of 'from' (the export's column name) or "
                "'constant'. Fix: add from: \"<export column name>\""
            )
        if self.type == "list" and not self.split:
            raise ValueError(
                "a list column needs 'split', the delimiter between items. Fix: add split: \";\""
            )
        return self


class CsvOptions(StrictModel):
    delimiter: str = ","


class SkipRows(StrictModel):
    """Rows dropped on purpose (every one counted and reported): for example junk rows an export
    writes with every field blank but an object id."""

    all_blank: list[str] = Field(min_length=1)


Cadence = Literal["daily", "monthly", "sparse"]


class SourceSpec(StrictModel):
    translated: ClassVar[tuple[str, ...]] = ("title", "publisher", "description")

    title: str
    publisher: str
    description: str
    files: str
    format: Literal["csv", "xlsx", "parquet"]
    # How often records are expected: every day (911 calls), every month (snapshots, page views),
    # or no expectation (event logs). Days or months without records are gaps in the data.
    expected: Cadence
    # A day of a daily source with fewer records than this share of the usual number (the median
    # of the weeks around it) counts as a gap too, such as an outage that lasted hours.
    low_day_share: float = Field(default=0.25, ge=0, lt=1)
    encoding: str = "utf-8"
    csv: CsvOptions = CsvOptions()
    sheet: str | None = None
    date_column: str
    freshness_days: int = Field(default=31, ge=0, le=366)
    unique: list[str] = []
    extra_columns: Literal["error", "ignore"] = "error"
    skip_rows: SkipRows | None = None
    columns: dict[str, ColumnSpec]

    @model_validator(mode="after")
    def _references(self) -> SourceSpec:
        names = set(self.columns)
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ValueError(
                f"encoding '{self.encoding}' is not known. Fix: use the export's encoding, for "
                "example utf-8, cp1252 (Excel on Windows), latin-1 or utf-16"
            ) from None
        for name in self.skip_rows.all_blank if self.skip_rows else []:
            if name not in names:
                raise ValueError(
                    f"skip_rows.all_blank names '{name}', which is not a column. "
                    f"Fix: use one of {', '.join(sorted(names))}"
                )
        if self.date_column not in names:
            raise ValueError(
                f"date_column '{self.date_column}' is not one of the columns. "
                f"Fix: use one of {', '.join(sorted(names))}"
            )
        if self.columns[self.date_column].type not in {"date", "datetime"}:
            raise ValueError(
                f"date_column '{self.date_column}' must have type date or datetime. "
                "Fix: change its type or choose another column"
            )
        for name in self.unique:
            if name not in names:
                raise ValueError(
                    f"unique names '{name}', which is not a column. "
                    f"Fix: use one of {', '.join(sorted(names))}"
                )
        return self

    def canonical_columns(self) -> set[str]:
        names = set(self.columns)
        names |= {f"{n}_count" for n, c in self.columns.items() if c.type == "list"}
        return names


class AreaSource(StrictModel):
    """A table that describes places, not events: the police districts' boundaries (GeoJSON) or
    their residents (CSV). Read whole at ingest; its ids must be exactly the values the events'
    ``ids_of`` column allows, so that every call's district has a shape and a population."""

    translated: ClassVar[tuple[str, ...]] = ("title", "publisher", "description")

    title: str
    publisher: str
    description: str
    files: str
    format: Literal["geojson", "csv"]
    id: str  # the property (GeoJSON) or column (CSV) holding each area's id
    ids_of: str  # "<source>.<column>" whose allowed values the ids must match
    value: str | None = None  # CSV: the column of the figure (residents)
    year: str | None = None  # CSV: the column of the year the figure is for
    encoding: str = "utf-8"

    @model_validator(mode="after")
    def _fields(self) -> AreaSource:
        if self.format == "csv" and not (self.value and self.year):
            raise ValueError(
                "a CSV of area figures needs value: (the column of the figure, such as "
                "Residents) and year: (the column of the year it is for)"
            )
        if "." not in self.ids_of:
            raise ValueError(
                f"ids_of '{self.ids_of}' must name a source and its column. Fix: write it as "
                "cad_events.district"
            )
        return self


class Pseudonymisation(StrictModel):
    key_env: str
    demo_key: str
    digest_chars: int = Field(default=16, ge=12, le=64)


class SourcesConfig(StrictModel):
    version: Literal[1]
    pseudonymisation: Pseudonymisation
    sources: dict[str, SourceSpec]
    areas: dict[str, AreaSource] = {}

    @model_validator(mode="after")
    def _areas_match_a_column(self) -> SourcesConfig:
        for name, area in self.areas.items():
            source, column = area.ids_of.split(".", 1)
            spec = self.sources.get(source)
            if spec is None or column not in spec.columns:
                raise ValueError(
                    f"areas.{name}.ids_of names {area.ids_of}, which is not a source's column. "
                    "Fix: name the column of the events that holds the area's id, such as "
                    "cad_events.district"
                )
            if not spec.columns[column].allowed:
                raise ValueError(
                    f"areas.{name}: the column {area.ids_of} lists no allowed: values, so an "
                    "unknown area in the events could not be caught. Fix: add allowed: with the "
                    "area ids"
                )
        return self

    def columns_by_source(self) -> dict[str, set[str]]:
        return {name: spec.canonical_columns() for name, spec in self.sources.items()}

    def person_columns(self) -> dict[str, set[str]]:
        """The columns of each source that identify a person (pseudonymised at ingest)."""
        return {
            name: {c for c, col in spec.columns.items() if col.identifies_person}
            for name, spec in self.sources.items()
        }


def load_sources(path: Path) -> SourcesConfig:
    return load_model(path, SourcesConfig)
