"""The records stages hand each other, typed: what ingest found, what a quarter publishes, and
what a run did. Each is written atomically (a reader never sees half a record), as sorted,
indented JSON, so that the same inputs give byte-identical files.

Where each record lives is a property of ``ProjectPaths``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from .periods import QuarterField

R = TypeVar("R", bound=BaseModel)


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


def write_json(path: Path, payload: Any) -> None:
    """JSON written to a temporary file and renamed, so a reader never sees half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(scratch, path)


def write_record(path: Path, record: BaseModel, exclude_none: bool = False) -> None:
    write_json(path, record.model_dump(mode="json", exclude_none=exclude_none))


def read_record(path: Path, model: type[R]) -> R | None:
    """The record at ``path``, or None when the stage has not run yet."""
    if not path.exists():
        return None
    return model.model_validate_json(path.read_text())


# --------------------------------------------------------------------------------------------
# Ingest


class SourceRecord(Record):
    rows: int
    files: dict[str, str]  # raw file -> SHA-256
    first_date: str
    last_date: str
    days: dict[str, int] = {}  # records per day: the source's coverage
    skipped_rows: dict[str, int] = {}  # per file, by the source's skip_rows policy


class AreaRecord(Record):
    rows: int
    files: dict[str, str]  # raw file -> SHA-256


class IngestRecord(Record):
    sample_data: bool
    demo_pseudonym_key: bool
    raw_fingerprint: dict[str, str]
    code_version: str
    sources: dict[str, SourceRecord]
    areas: dict[str, AreaRecord] = {}  # places: district boundaries and residents
    cache_key: dict[str, Any] | None = None  # what the canonical tables were built from


# --------------------------------------------------------------------------------------------
# A quarter's publication


class MeasureRecord(Record):
    status: Literal["current", "incomplete"]
    data_through: str
    source: str
    rows: int
    suppressed: int
    csv: str
    csv_sha256: str


class CoverageRecord(Record):
    """How completely a source covers the reporting quarter."""

    title: str
    status: Literal["complete", "partial", "missing"]
    covered: int
    expected: int
    unit: Literal["day", "month"]
    share: float
    gaps: list[list[str]]
    data_through: str | None
    skipped_rows: dict[str, int] = {}


class PrivacySummary(Record):
    floor: int
    primary: dict[str, int]
    secondary: dict[str, int]
    concentration: dict[str, int]


class Publication(Record):
    """What a quarter's tables publish: statuses, hashes, privacy and coverage summaries."""

    quarter: QuarterField
    sample_data: bool
    data_as_of: str | None
    next_update: str | None
    code_version: str
    inputs: dict[str, dict[str, str]]
    privacy: PrivacySummary
    measures: dict[str, MeasureRecord]
    sources: dict[str, CoverageRecord] = {}
    # The download CSVs of the other editions (csv/<code>/<measure>.csv): SHA-256 by measure.
    translated_csv: dict[str, dict[str, str]] = {}
    # Per edition code ("en" too): each district measure's CSV per district, file -> SHA-256.
    district_csv: dict[str, dict[str, str]] = {}


# --------------------------------------------------------------------------------------------
# A run


class ValidationSummary(Record):
    status: Literal["ingested", "skipped"]
    sample_data: bool
    failures: int
    sources: dict[str, dict[str, Any]]


class PublishedSummary(Record):
    sample_data: bool
    privacy: PrivacySummary
    measures: dict[str, dict[str, Any]]
    coverage: dict[str, CoverageRecord]


class RunManifest(Record):
    """What one run of the quarterly pipeline did, from its parameters to its site."""

    quarter: QuarterField
    reporting_period: str
    data_as_of: str
    next_update: str
    code_version: str
    code_hash: str
    python: str
    started_at: str
    parameters: dict[str, Any]
    settings: dict[str, str]
    quarter_params: str
    status: Literal["running", "succeeded", "failed"] = "running"
    validation: ValidationSummary | None = None
    inputs: dict[str, dict[str, str]] | None = None
    publication: PublishedSummary | None = None
    notebooks: dict[str, list[Any]] | None = None
    site: dict[str, Any] | None = None
    timings_seconds: dict[str, float] = {}
    error: str | None = None
    seconds: float | None = None
