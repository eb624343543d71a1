"""Publication writing: a quarter's gated tables, download CSVs and ``publication.json``.

Everything is written into a fresh folder and swapped in at once, so a reader sees the previous
quarter build or the new one, never half of each. The CSVs are what residents download: plain
column names, a ``data_status`` and a ``note`` on every row, and the source and date.
"""

from __future__ import annotations

import csv
import math
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.cache import file_sha256
from ..core.config import slugify
from ..core.language import Language, pending_plain
from ..core.paths import ProjectPaths
from ..core.periods import FiscalQuarter
from ..core.records import CoverageRecord, MeasureRecord, PrivacySummary, Publication, write_record
from ..data.coverage import note_words
from ..data.raw import read_ingest_record, swap_directory
from ..params.districts import NOT_RECORDED
from ..params.measure import Measure
from ..params.privacy import PrivacyRules
from ..params.quarters import QuarterParams
from ..params.settings import Settings
from .labels import rows_in_language
from .open_data import open_table, plain_texts, process_columns, row_notes

OPEN_FOLDER = "open"  # each measure's machine-readable CSV, per edition: csv/[<code>/]open/<id>.csv

DISTRICTS_FOLDER = "districts"  # a quarter's gated district rows, one parquet per measure


@dataclass
class QuarterTables:
    quarter: FiscalQuarter
    frame: pd.DataFrame  # gated rows of every measure
    status: dict[str, dict[str, Any]]  # per measure: status, data_through, source
    gate_summary: dict[str, Any]
    sources: dict[str, CoverageRecord] = field(default_factory=dict)  # coverage of the quarter
    districts: pd.DataFrame | None = None  # gated rows of the district measures, per district

    @cached_property
    def _by_measure(self) -> dict[str, pd.DataFrame]:
        return _split(self.frame, "measure")

    @cached_property
    def _by_district(self) -> dict[tuple[str, str], pd.DataFrame]:
        return {} if self.districts is None else _split(self.districts, ["measure", "district"])

    def rows_of(self, measure_id: str) -> pd.DataFrame:
        """A measure's gated rows: the frame is split once, not searched for every file."""
        return self._by_measure.get(measure_id, self.frame.iloc[0:0])

    def district_rows_of(self, measure_id: str, district: str) -> pd.DataFrame:
        """A district measure's gated rows in one district (without the district column)."""
        assert self.districts is not None
        rows = self._by_district.get((measure_id, district), self.districts.iloc[0:0])
        return rows.drop(columns="district")


def _split(frame: pd.DataFrame, by: str | list[str]) -> dict[Any, pd.DataFrame]:
    """``frame``'s rows by the value of ``by``, each part in its order and numbered from 0."""
    return {key: part.reset_index(drop=True) for key, part in frame.groupby(by, sort=False)}


def _csv_number(value: float, decimals: int) -> str:
    """Numbers stay plain digits in every edition (``1234.5``), so any tool reads them."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.{decimals}f}"


def _csv_status(status: str, note: str, lang: Language) -> str:
    """Whether the row's data is complete, in words a spreadsheet user reads."""
    if status == "complete":
        return lang._("complete")
    return note_words(note, lang) or status.replace("_", " ")


def csv_table(
    measure: Measure,
    rows: pd.DataFrame,
    rules: PrivacyRules,
    data_through: str,
    source_title: str,
    sample: bool,
    lang: Language,
    district: str | None = None,
) -> pd.DataFrame:
    """The download CSV of one measure: one row per period and series, plain column names, in
    the edition's language (``rows`` already carry its names); a district's CSV names the
    district in a column after the measure."""
    t = lang
    decimals = measure.value_decimals
    notes = row_notes(rows, rules, t)
    columns: dict[str, Any] = {  # made whole, then framed once: a frame grown a column at a time is slow
        t._("measure"): measure.caption,
        **({t._("district"): district} if district is not None else {}),
        t._("period"): rows["period"].to_numpy(),
        t._("period_label"): rows["period_label"].to_numpy(),
        t._("series"): rows["series"].to_numpy(),
        measure.value_label: [_csv_number(v, decimals) for v in rows["value"]],
    }
    count_decimals = 0 if measure.unit != "positions" else 1
    if measure.numerator_label and measure.value != "numerator":
        columns[measure.numerator_label] = [_csv_number(v, count_decimals) for v in rows["numerator"]]
    if measure.denominator_label:
        columns[measure.denominator_label] = [_csv_number(v, count_decimals) for v in rows["denominator"]]
    statuses = zip(rows["status"].tolist(), rows["status_note"].tolist())
    columns[t._("data_status")] = [_csv_status(s, n, t) for s, n in statuses]
    columns[t._("note")] = notes
    columns[t._("data_through")] = data_through
    columns[t._("source")] = source_title
    if sample:
        columns[t._("sample_data")] = t._("yes: synthetic sample data, not City records")
    columns.update(process_columns(rows, t))
    if not t.is_source:  # a text still waiting for its translation says so, in words
        columns = {name: plain_texts(values) for name, values in columns.items()}
    out = pd.DataFrame(columns, index=range(len(rows)), dtype=object)  # text: no Arrow arrays to build
    if not t.is_source:
        out.columns = [pending_plain(str(c)) for c in out.columns]
    return out


def canonical_digests(paths: ProjectPaths) -> dict[str, str]:
    """The SHA-256 of every canonical table, which ``publication.json`` records as its inputs."""
    tables = sorted(paths.canonical.rglob("*.parquet"))
    return {p.relative_to(paths.canonical).as_posix(): file_sha256(p) for p in tables}


def write_quarter(
    settings: Settings,
    tables: QuarterTables,
    params: QuarterParams | None,
    code_version: str,
    canonical: dict[str, str] | None = None,
) -> Path:
    """Write gated parquet, download CSVs and ``publication.json``; all or nothing.
    ``canonical`` is ``canonical_digests``, when the caller computed it meanwhile."""
    paths = settings.paths
    record = read_ingest_record(paths)
    sample = bool(record and record.sample_data)
    target = paths.quarter_dir(tables.quarter)
    paths.processed.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{tables.quarter.id}-", dir=paths.processed))
    staging.chmod(0o755)
    try:
        (staging / "measures").mkdir()
        (staging / "csv").mkdir()
        measures_record = {
            m.id: _write_measure(settings, tables, m, sample, staging) for m in settings.plan.measures
        }
        translated = {
            edition.code: _write_edition_csvs(settings.in_edition(edition), settings, tables, sample, staging)
            for edition in settings.editions()
            if not edition.is_source
        }
        district_csv = {
            edition.code: _write_district_csvs(
                settings.in_edition(edition), settings, tables, sample, staging
            )
            for edition in settings.editions()
            if tables.districts is not None
        }
        canonical = canonical if canonical is not None else canonical_digests(paths)
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
            translated_csv=translated,
            district_csv=district_csv,
        )
        write_record(staging / paths.publication(tables.quarter).name, publication)
        swap_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _write_measure(
    settings: Settings, tables: QuarterTables, measure: Measure, sample: bool, staging: Path
) -> MeasureRecord:
    """One measure's gated table (parquet) and its English download CSV, and its record."""
    rows = tables.rows_of(measure.id)
    table = pa.Table.from_pandas(rows, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(
        table, staging / "measures" / f"{measure.id}.parquet", compression="zstd", write_statistics=False
    )
    info = tables.status[measure.id]
    digest = _write_csv(
        staging / "csv" / f"{measure.id}.csv", measure, rows, settings, info["data_through"], sample
    )
    _write_open_csv(staging / "csv" / OPEN_FOLDER, measure, rows, settings, info["data_through"], sample)
    return MeasureRecord(
        **info,
        rows=len(rows),
        suppressed=int(rows["suppressed"].sum()),
        csv=f"csv/{measure.id}.csv",
        csv_sha256=digest,
    )


def _write_edition_csvs(
    local: Settings, english: Settings, tables: QuarterTables, sample: bool, staging: Path
) -> dict[str, str]:
    """The download CSVs of another edition, from the same gated rows: csv/<code>/<measure>.csv.
    Returns the SHA-256 of each, by measure."""
    lang = local.edition.language
    folder = staging / "csv" / lang.code
    folder.mkdir()
    hashes = {}
    for measure in english.plan.measures:
        rows = tables.rows_of(measure.id)
        local_measure = local.plan.measure(measure.id)
        local_rows = rows_in_language(rows, measure, local_measure, lang)
        through = tables.status[measure.id]["data_through"]
        hashes[measure.id] = _write_csv(
            folder / f"{measure.id}.csv", local_measure, local_rows, local, through, sample
        )
        _write_open_csv(folder / OPEN_FOLDER, local_measure, local_rows, local, through, sample)
    return hashes


def _write_open_csv(
    folder: Path, measure: Measure, rows: pd.DataFrame, settings: Settings, data_through: str, sample: bool
) -> None:
    """A measure's machine-readable CSV (``measures/<id>.csv`` on the site) in one edition."""
    folder.mkdir(exist_ok=True)
    table = open_table(measure, rows, settings.privacy, data_through, sample, settings.edition.language)
    write_text_csv(table, folder / f"{measure.id}.csv")


def district_csv_name(district_slug: str, measure_id: str) -> str:
    """A district measure's download, next to the citywide ones: district-d3-calls_911.csv."""
    return f"district-{district_slug}-{measure_id}.csv"


def _write_district_csvs(
    local: Settings, english: Settings, tables: QuarterTables, sample: bool, staging: Path
) -> dict[str, str]:
    """Each district measure's rows, per district (and for calls with no district recorded), as
    a download CSV in one edition; its gated parquet once, in English. Returns file -> SHA-256."""
    districts, frame = english.plan.districts, tables.districts
    if districts is None or frame is None:
        return {}
    lang = local.edition.language
    folder = staging / "csv" if lang.is_source else staging / "csv" / lang.code
    if lang.is_source:
        (staging / DISTRICTS_FOLDER).mkdir()
        for measure_id in districts.measures:
            rows = frame[frame["measure"] == measure_id].reset_index(drop=True)
            table = pa.Table.from_pandas(rows, preserve_index=False).replace_schema_metadata(None)
            pq.write_table(table, staging / DISTRICTS_FOLDER / f"{measure_id}.parquet", compression="zstd")
    hashes = {}
    names = {d.id: d.name for d in local.plan.districts.areas} if local.plan.districts else {}
    for district in [*(d.id for d in districts.areas), NOT_RECORDED]:
        slug = slugify(district)
        for measure_id in districts.measures:
            rows = tables.district_rows_of(measure_id, district)
            measure, local_measure = english.plan.measure(measure_id), local.plan.measure(measure_id)
            rows = rows_in_language(rows, measure, local_measure, lang) if not lang.is_source else rows
            name = district_csv_name(slug, measure_id)
            place = names.get(district) or local.plan.districts.not_recorded  # type: ignore[union-attr]
            hashes[name] = _write_csv(
                folder / name,
                local_measure,
                rows,
                local,
                tables.status[measure_id]["data_through"],
                sample,
                place,
            )
    return hashes


def write_text_csv(table: pd.DataFrame, path: Path) -> None:
    """A table of text as CSV, exactly as ``DataFrame.to_csv`` writes it (a blank for a missing
    value, quotes only where a value needs them), with Python's csv module, which is several
    times quicker for the small tables a quarter writes by the hundred. A table holding anything
    but text is left to pandas."""
    columns = [table[name].tolist() for name in table.columns]
    names_text = all(isinstance(name, str) for name in table.columns)
    if not names_text or not all(isinstance(v, str) or v is None for values in columns for v in values):
        table.to_csv(path, index=False, lineterminator="\n")
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(zip(*columns))


def _write_csv(
    path: Path,
    measure: Measure,
    rows: pd.DataFrame,
    settings: Settings,
    data_through: str,
    sample: bool,
    district: str | None = None,
) -> str:
    """One measure's download CSV in ``settings``' edition; returns its SHA-256."""
    source = settings.sources.sources[measure.source].title
    table = csv_table(
        measure, rows, settings.privacy, data_through, source, sample, settings.edition.language, district
    )
    write_text_csv(table, path)
    return file_sha256(path)


def read_quarter_frame(
    paths: ProjectPaths, quarter: FiscalQuarter, folder_name: str = "measures"
) -> pd.DataFrame | None:
    folder = paths.quarter_dir(quarter) / folder_name
    if not folder.exists():
        return None
    parts = [pq.read_table(p).to_pandas() for p in sorted(folder.glob("*.parquet"))]
    return pd.concat(parts, ignore_index=True) if parts else None


def read_quarter_districts(paths: ProjectPaths, quarter: FiscalQuarter) -> pd.DataFrame | None:
    """The gated rows of every district measure, per district (column ``district``)."""
    return read_quarter_frame(paths, quarter, DISTRICTS_FOLDER)
