"""Reading and checking the tables that describe places: the police districts' boundaries
(GeoJSON) and their residents (CSV).

Checked before anything is written, each problem with its file, feature or row, and the fix:
every area has an id, once; the ids are exactly the values the events' column allows (so every
call's district has a shape and a population); polygons are valid, in longitude and latitude,
and do not overlap; residents are whole numbers of zero or more. The canonical tables keep each
area's polygon (WKB) and its area in square miles.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from ..core.paths import ProjectPaths
from ..params.sources import AreaSource, SourcesConfig
from .raw import raw_files
from .validation import Failures

SQUARE_METRES_PER_SQUARE_MILE = 2_589_988.11
OVERLAP_TOLERANCE = 1e-6  # share of the smaller area: shared edges drawn a hair apart are fine
GIS_FIX = "repair it in a GIS (for example QGIS: Vector > Geometry Tools > Fix Geometries) and export again"


@dataclass
class AreaTable:
    """One area source as read: one row per area, and the raw file's checksum."""

    name: str
    spec: AreaSource
    rows: list[dict[str, Any]]
    files: dict[str, str]


def validate_areas(paths: ProjectPaths, config: SourcesConfig, failures: Failures) -> list[AreaTable]:
    """Every area source read and checked; problems go to ``failures``."""
    out = []
    for name, spec in config.areas.items():
        files = raw_files(paths, spec)  # type: ignore[arg-type]
        if len(files) != 1:
            found = "no file" if not files else f"{len(files)} files"
            failures.add(
                name, spec.files, "", "", "", f"{found} match '{spec.files}' under data/raw; one is needed"
            )
            continue
        path = files[0]
        relative = path.relative_to(paths.raw).as_posix()
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        before = len(failures.rows)
        reader = _geojson if spec.format == "geojson" else _figures
        rows = reader(name, spec, relative, data, failures)
        if len(failures.rows) == before:
            _ids_match(name, spec, relative, rows, config, failures)
        if len(failures.rows) == before:
            out.append(AreaTable(name, spec, rows, {relative: digest}))
    return out


def _geojson(name: str, spec: AreaSource, file: str, data: bytes, failures: Failures) -> list[dict[str, Any]]:
    from shapely import wkb
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    try:
        collection = json.loads(data.decode(spec.encoding))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        failures.add(name, file, "", "", "", f"cannot be read as GeoJSON: {exc}")
        return []
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list) or not features:
        failures.add(name, file, "", "", "", "is not a GeoJSON FeatureCollection with features")
        return []
    rows: list[dict[str, Any]] = []
    for number, feature in enumerate(features, start=1):
        where = f"feature {number}"
        properties = feature.get("properties") or {}
        area_id = str(properties.get(spec.id) or "").strip()
        if not area_id:
            failures.add(
                name, file, where, spec.id, "", f"has no {spec.id}: every feature needs its area's id"
            )
            continue
        where = f"feature {number} ({area_id})"
        try:
            polygon = shape(feature.get("geometry") or {})
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            failures.add(name, file, where, "geometry", "", f"cannot be read as a geometry: {exc}")
            continue
        if polygon.geom_type not in {"Polygon", "MultiPolygon"} or polygon.is_empty:
            failures.add(
                name, file, where, "geometry", polygon.geom_type, "must be a Polygon or MultiPolygon"
            )
            continue
        minx, miny, maxx, maxy = polygon.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            failures.add(
                name, file, where, "geometry", f"{minx:.0f}, {miny:.0f}",
                "is not in longitude and latitude: export the layer in WGS 84 (EPSG:4326)",
            )  # fmt: skip
            continue
        if not polygon.is_valid:
            failures.add(
                name, file, where, "geometry", explain_validity(polygon), f"is not a valid polygon: {GIS_FIX}"
            )
            continue
        rows.append({"id": area_id, "shape": polygon, "wkb": wkb.dumps(polygon), "feature": where})
    _unique(name, file, rows, "feature", failures)
    _overlaps(name, file, rows, failures)
    return [
        {"id": r["id"], "wkb": r["wkb"], "area_sq_mi": square_miles(r["shape"])}
        for r in sorted(rows, key=lambda r: r["id"])
    ]


def _overlaps(name: str, file: str, rows: list[dict[str, Any]], failures: Failures) -> None:
    """Two areas may share an edge, never ground: a call must fall in one district only."""
    for a, b in combinations(rows, 2):
        overlap = a["shape"].intersection(b["shape"]).area
        if overlap > OVERLAP_TOLERANCE * min(a["shape"].area, b["shape"].area):
            share = overlap / min(a["shape"].area, b["shape"].area)
            failures.add(
                name, file, f"{a['feature']} and {b['feature']}", "geometry", f"{share:.2%} overlap",
                f"overlap: each place must be in one area only; {GIS_FIX}",
            )  # fmt: skip


def _figures(name: str, spec: AreaSource, file: str, data: bytes, failures: Failures) -> list[dict[str, Any]]:
    try:
        reader = csv.DictReader(io.StringIO(data.decode(spec.encoding).lstrip("\ufeff")))
        header = reader.fieldnames or []
        records = list(reader)
    except (UnicodeDecodeError, csv.Error) as exc:
        failures.add(name, file, "", "", "", f"cannot be read as CSV: {exc}")
        return []
    for column in (spec.id, spec.value, spec.year):
        if column not in header:
            failures.add(
                name, file, 1, str(column), "", f"no such column (the columns are {', '.join(header)})"
            )
    if any(c not in header for c in (spec.id, spec.value, spec.year)):
        return []
    rows = []
    for number, record in enumerate(records, start=2):
        area_id = (record[spec.id] or "").strip()
        value = _whole(record[str(spec.value)])
        year = _whole(record[str(spec.year)])
        if not area_id:
            failures.add(name, file, number, spec.id, "", "is empty: every row needs its area's id")
        elif value is None or value < 0:
            failures.add(
                name,
                file,
                number,
                str(spec.value),
                record[str(spec.value)],
                "must be a whole number of 0 or more",
            )
        elif year is None or not 1900 <= year <= 2100:
            failures.add(
                name, file, number, str(spec.year), record[str(spec.year)], "must be a year, such as 2020"
            )
        else:
            rows.append({"id": area_id, "value": value, "year": year, "feature": f"row {number}"})
    _unique(name, file, rows, "row", failures)
    return [
        {"id": r["id"], "value": r["value"], "year": r["year"]} for r in sorted(rows, key=lambda r: r["id"])
    ]


def _whole(text: str | None) -> int | None:
    try:
        number = float((text or "").replace(",", ""))
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _unique(name: str, file: str, rows: list[dict[str, Any]], kind: str, failures: Failures) -> None:
    seen: dict[str, str] = {}
    for row in rows:
        if row["id"] in seen:
            failures.add(
                name, file, row["feature"], "id", row["id"], f"is also {seen[row['id']]}: one {kind} per area"
            )
        seen.setdefault(row["id"], row["feature"])


def _ids_match(
    name: str,
    spec: AreaSource,
    file: str,
    rows: list[dict[str, Any]],
    config: SourcesConfig,
    failures: Failures,
) -> None:
    source, column = spec.ids_of.split(".", 1)
    allowed = set(config.sources[source].columns[column].allowed or [])
    ids = {r["id"] for r in rows}
    for missing in sorted(allowed - ids):
        failures.add(
            name, file, "", spec.id, missing, f"is a value of {spec.ids_of} with no area here: add it"
        )
    for extra in sorted(ids - allowed):
        failures.add(
            name, file, "", spec.id, extra,
            f"is not a value {spec.ids_of} allows: add it to allowed: in params/sources.yml, or fix the id",
        )  # fmt: skip


def square_miles(polygon: Any) -> float:
    """The area of a polygon in longitude and latitude, in square miles (an equirectangular
    projection at its centre: within a fraction of a percent at a city's size)."""
    import numpy as np
    from shapely import transform

    latitude = math.radians(polygon.centroid.y)
    factors = np.array([111_320 * math.cos(latitude), 110_574])  # metres per degree
    metres = transform(polygon, lambda coords: coords * factors)
    return round(metres.area / SQUARE_METRES_PER_SQUARE_MILE, 4)


def write_areas(tables: list[AreaTable], folder: Path) -> dict[str, dict[str, Any]]:
    """One parquet file per area source under ``folder``; what the ingest record keeps."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    record = {}
    for table in tables:
        pq.write_table(pa.Table.from_pylist(table.rows), folder / f"{table.name}.parquet")
        record[table.name] = {"rows": len(table.rows), "files": table.files}
    return record


def load_area(paths: ProjectPaths, name: str) -> list[dict[str, Any]]:
    """An area source's canonical rows (``id``, and ``wkb`` with ``area_sq_mi``, or ``value``
    with ``year``), in id order."""
    import pyarrow.parquet as pq

    return pq.read_table(paths.canonical / "areas" / f"{name}.parquet").to_pylist()
