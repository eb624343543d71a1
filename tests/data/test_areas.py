"""District boundaries and residents: read and checked at ingest, every problem named with its
file, feature or row, and the fix; nothing written when one is wrong."""

from __future__ import annotations

import json

import pytest

from helpers.core.paths import ProjectPaths
from helpers.data.areas import square_miles, validate_areas
from helpers.data.validation import Failures
from helpers.params.sources import load_sources
from helpers.sample.districts import district_shapes, write_districts

from ..conftest import REPO

CONFIG = load_sources(REPO / "params" / "sources.yml")


@pytest.fixture
def paths(tmp_path) -> ProjectPaths:
    paths = ProjectPaths(tmp_path)
    write_districts(paths.raw)
    return paths


def problems(paths: ProjectPaths) -> list[dict]:
    failures = Failures()
    validate_areas(paths, CONFIG, failures)
    return failures.rows


def edit_features(paths: ProjectPaths, change) -> None:
    path = paths.raw / "districts" / "police_districts.geojson"
    data = json.loads(path.read_text())
    change(data["features"])
    path.write_text(json.dumps(data))


def test_the_sample_districts_tile_the_city_without_overlap(paths):
    assert problems(paths) == []
    shapes = district_shapes()
    assert sorted(shapes) == ["D1", "D2", "D3", "D4", "D5"]
    total = sum(square_miles(s) for s in shapes.values())
    assert 80 <= total <= 140  # Durham is about 115 square miles
    text = (paths.raw / "districts" / "police_districts.geojson").read_text()
    assert "SAMPLE" in text and "not the City's boundaries" in text


def test_a_self_crossing_polygon_is_named_with_the_fix(paths):
    def bowtie(features):
        features[1]["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[-78.9, 36.0], [-78.8, 36.1], [-78.8, 36.0], [-78.9, 36.1], [-78.9, 36.0]]],
        }

    edit_features(paths, bowtie)
    [problem] = problems(paths)
    assert problem["row"] == "feature 2 (D2)" and problem["column"] == "geometry"
    assert "Self-intersection" in problem["value"] and "Fix Geometries" in problem["check"]


def test_overlapping_districts_are_named_both(paths):
    def grow(features):
        features[0]["geometry"] = features[4]["geometry"]  # D1 drawn over D5

    edit_features(paths, grow)
    found = problems(paths)
    assert any(p["row"] == "feature 1 (D1) and feature 5 (D5)" and "overlap" in p["check"] for p in found)


def test_ids_must_be_the_districts_the_calls_carry(paths):
    def rename(features):
        features[2]["properties"]["DISTRICT"] = "D9"

    edit_features(paths, rename)
    checks = {(p["value"], p["check"][:40]) for p in problems(paths)}
    assert ("D3", "is a value of cad_events.district with n") in checks  # D3 has no shape now
    assert ("D9", "is not a value cad_events.district allow") in checks


def test_boundaries_must_be_in_longitude_and_latitude(paths):
    def projected(features):
        features[0]["geometry"]["coordinates"] = [
            [[2030000, 810000], [2040000, 810000], [2040000, 820000], [2030000, 810000]]
        ]

    edit_features(paths, projected)
    [problem] = problems(paths)
    assert "WGS 84 (EPSG:4326)" in problem["check"]


def test_residents_must_be_whole_numbers_named_by_row(paths):
    path = paths.raw / "districts" / "district_population.csv"
    path.write_text(path.read_text().replace("58200", "-5").replace('"D5"', '"D1"'))
    found = {(p["row"], p["column"], p["check"]) for p in problems(paths)}
    assert (5, "Residents", "must be a whole number of 0 or more") in found
    assert any(row == "row 6" and "one row per area" in check for row, _, check in found)
