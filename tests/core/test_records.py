"""The records stages hand each other: typed, validated when read, written atomically."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from helpers.core.periods import FiscalQuarter
from helpers.core.records import MeasureRecord, PrivacySummary, Publication, read_record, write_record


def publication(**overrides) -> Publication:
    base = {
        "quarter": "FY2027Q1",
        "sample_data": True,
        "data_as_of": "2026-10-15",
        "next_update": "2027-01-31",
        "code_version": "1.0.0+test",
        "inputs": {"canonical": {}},
        "privacy": PrivacySummary(floor=10, primary={}, secondary={}, concentration={}),
        "measures": {
            "calls_911": MeasureRecord(
                status="current",
                data_through="2026-09-30",
                source="cad_events",
                rows=17,
                suppressed=0,
                csv="csv/calls_911.csv",
                csv_sha256="0" * 64,
            )
        },
    }
    return Publication.model_validate({**base, **overrides})


def test_a_publication_round_trips_with_its_quarter_as_text_on_disk(tmp_path):
    path = tmp_path / "publication.json"
    write_record(path, publication())
    on_disk = json.loads(path.read_text())
    assert on_disk["quarter"] == "FY2027Q1"  # text in the file, for people and other tools
    again = read_record(path, Publication)
    assert again.quarter == FiscalQuarter.parse("FY2027Q1")  # a FiscalQuarter inside
    assert again.measures["calls_911"].data_through == "2026-09-30"
    write_record(tmp_path / "again.json", again)
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()  # byte-identical rewrite


def test_a_record_with_an_unknown_field_or_bad_quarter_is_refused(tmp_path):
    path = tmp_path / "publication.json"
    write_record(path, publication())
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "surprise": 1}))
    with pytest.raises(ValidationError, match="surprise"):
        read_record(path, Publication)
    with pytest.raises(ValidationError, match="write the quarter like FY2027Q1"):
        publication(quarter="2027Q1")


def test_a_stage_that_has_not_run_has_no_record(tmp_path):
    assert read_record(tmp_path / "missing.json", Publication) is None
