"""Sample police districts: five made-up boundaries over the area of Durham and their residents.

The shapes are drawn, not surveyed: a rough outline of the city cut into a central district and
four around it. They are marked as sample in every feature and in the file itself, so they can
never pass for the City's police district layer. Their ids match the sample 911 export.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from .shapes import write_csv

# A rough outline of the city (longitude, latitude), clockwise from the north-west.
OUTLINE = [
    (-78.995, 36.105),
    (-78.93, 36.125),
    (-78.86, 36.11),
    (-78.815, 36.065),
    (-78.805, 36.0),
    (-78.83, 35.935),
    (-78.875, 35.885),
    (-78.95, 35.875),
    (-79.0, 35.91),
    (-79.02, 35.975),
    (-79.015, 36.045),
]
CENTRE = (-78.905, 35.995)  # downtown
CENTRAL_RADIUS = 0.028  # degrees: the central district
# The four outer districts, each a wedge between two compass bearings (degrees from north,
# clockwise), and the central one. Ids as in the sample 911 export.
WEDGES = {"D1": (45, 135), "D2": (-45, 45), "D4": (135, 225), "D3": (225, 315)}
NAMES = {
    "D1": "District 1 (east)",
    "D2": "District 2 (north)",
    "D3": "District 3 (west)",
    "D4": "District 4 (south)",
    "D5": "District 5 (downtown)",
}
RESIDENTS = {"D1": 66_400, "D2": 61_900, "D3": 63_700, "D4": 58_200, "D5": 43_800}


def district_shapes() -> dict[str, object]:
    """The five sample polygons (shapely), tiling the outline without overlap."""
    from shapely.affinity import scale
    from shapely.geometry import Point, Polygon

    outline = scale(Polygon(OUTLINE), 0.85, 0.85, origin=CENTRE)  # about Durham's 115 square miles
    centre = Point(CENTRE).buffer(CENTRAL_RADIUS, quad_segs=8)
    shapes: dict[str, object] = {"D5": outline.intersection(centre)}
    reach = 1.0  # degrees: far beyond the outline
    for district, (start, end) in WEDGES.items():
        bearings = [start + (end - start) * i / 8 for i in range(9)]
        points = [CENTRE] + [
            (
                CENTRE[0] + reach * math.sin(math.radians(b)),
                CENTRE[1] + reach * math.cos(math.radians(b)),
            )
            for b in bearings
        ]
        shapes[district] = outline.intersection(Polygon(points)).difference(centre)
    return dict(sorted(shapes.items()))


def write_districts(raw: Path) -> dict[str, int]:
    """``districts/police_districts.geojson`` and ``districts/district_population.csv``."""
    from shapely.geometry import mapping

    folder = raw / "districts"
    folder.mkdir(parents=True, exist_ok=True)
    features = []
    for district, shape in district_shapes().items():
        geometry = mapping(shape)
        geometry = json.loads(json.dumps(geometry))  # tuples as lists
        geometry["coordinates"] = _rounded(geometry["coordinates"])
        features.append(
            {
                "type": "Feature",
                "properties": {"DISTRICT": district, "NAME": NAMES[district], "SAMPLE": "yes"},
                "geometry": geometry,
            }
        )
    collection = {
        "type": "FeatureCollection",
        "name": "SAMPLE police districts: drawn for the sample data, not the City's boundaries",
        "features": features,
    }
    boundaries = folder / "police_districts.geojson"
    boundaries.write_text(json.dumps(collection, indent=1) + "\n", encoding="utf-8")
    rows = [{"District": d, "Residents": n, "Year": 2020} for d, n in RESIDENTS.items()]
    population = folder / "district_population.csv"
    write_csv(pd.DataFrame(rows), population)
    return {
        "districts/police_districts.geojson": len(features),
        "districts/district_population.csv": len(rows),
    }


def _rounded(value: object) -> object:
    """Coordinates to 6 decimals (about 10 cm): the same vertex rounds the same way in every
    polygon that shares it, so neighbours still meet without overlap."""
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(float(value), 6)  # type: ignore[arg-type]
